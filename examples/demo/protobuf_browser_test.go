package main

import (
	"context"
	"slices"
	"testing"

	"go-micro.dev/v4"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// TestBrowserProtobufAsBase64: a go-micro publisher with go-micro's protobuf
// codec publishes a message whose wire form is not UTF-8. With the header
// Sse-Encoding: base64 Chromium's EventSource gets the bytes as base64
// (decoded with atob) and an in-process subscriber gets them unchanged;
// without the header the page gets nothing of it (the next text event
// arrives, not the binary one) while the subscriber still gets it.
func TestBrowserProtobufAsBase64(t *testing.T) {
	n := startTestNode(t, config{})
	got := make(chan []byte, 4)
	sub, err := n.broker.Subscribe("pb", func(e mbroker.Event) error { got <- e.Message().Body; return nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	p := openDemo(t, n, "stream=pb&types=pb")

	pb := client.NewClient(client.Broker(n.broker), client.ContentType("application/protobuf"))
	msg := wrapperspb.Bytes([]byte{0xff, 0x00, 0xfe, 0x80})
	wire, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	base64Ctx := metadata.NewContext(context.Background(), map[string]string{
		codec.HeaderEvent: "pb", codec.HeaderEncoding: codec.EncodingBase64,
	})
	if err := micro.NewEvent("pb", pb).Publish(base64Ctx, msg); err != nil {
		t.Fatalf("publish with base64: %v", err)
	}
	plainCtx := metadata.NewContext(context.Background(), map[string]string{codec.HeaderEvent: "pb"})
	if err := micro.NewEvent("pb", pb).Publish(plainCtx, msg); err != nil {
		t.Fatalf("publish without base64: %v", err)
	}
	publish(t, n, "pb", "pb", "after")

	p.WaitFor(`demo.events.length >= 2`, `demo.events`)
	var bytes [][]int
	p.Eval(`demo.events.slice(0, 1).map(e => Array.from(atob(e.data), c => c.charCodeAt(0)))`, &bytes)
	gotWire := make([]byte, len(bytes[0]))
	for i, b := range bytes[0] {
		gotWire[i] = byte(b)
	}
	if !slices.Equal(gotWire, wire) {
		t.Fatalf("atob(data) = %x, want the protobuf wire form %x", gotWire, wire)
	}
	var decoded wrapperspb.BytesValue
	if err := proto.Unmarshal(gotWire, &decoded); err != nil || !proto.Equal(&decoded, msg) {
		t.Fatalf("decoded %v, %v", &decoded, err)
	}
	if data := eventData(t, p); !slices.Equal(data[1:], []string{"after"}) {
		t.Fatalf("after the base64 event the page got %q, want only the text event (the binary one skipped)", data[1:])
	}
	for range 2 {
		if body := ssetest.Recv(t, got, "the in-process subscriber"); !slices.Equal(body, wire) {
			t.Fatalf("subscriber got %x, want %x", body, wire)
		}
	}
	if st := n.broker.(interface{ Stats() ssebroker.Stats }).Stats(); st.BinarySkipped != 1 {
		t.Fatalf("BinarySkipped = %d, want 1", st.BinarySkipped)
	}
}
