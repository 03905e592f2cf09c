package server_test

import (
	"context"
	"encoding/base64"
	"testing"

	"go-micro.dev/v4"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/metadata"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// TestBridgeProtobuf: a service publishes protobuf (a body that is not
// UTF-8) with go-micro's protobuf codec through go-micro's HTTP broker. The
// go-micro subscriber of the SSE node always gets it; a browser-like client
// gets it base64-encoded when the message asks for it (Sse-Encoding), and
// otherwise not at all: skipped, counted and logged with the topic.
func TestBridgeProtobuf(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	log := ssetest.NewLog()
	s := newServer(server.WithLogger(log))
	got := make(chan *wrapperspb.BytesValue, 4)
	if err := micro.RegisterSubscriber("pb", s, func(_ context.Context, m *wrapperspb.BytesValue) error {
		got <- m
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	node := ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "sse", Broker: ssetest.HTTPBroker(t, reg), Registry: reg})
	pub := publisher(t, reg)
	if err := pub.Client().Init(client.ContentType("application/protobuf")); err != nil {
		t.Fatal(err)
	}
	st := ssetest.OpenT(t, ssetest.EventsURL(node.URL("/events"), "pb"), "")
	ssetest.Eventually(t, "bridge subscribed to pb", func() bool { return s.Stats().BridgedTopics == 1 })

	want := wrapperspb.Bytes([]byte{0xff, 0x00, 0xfe})
	ctx := metadata.NewContext(context.Background(), map[string]string{codec.HeaderEncoding: codec.EncodingBase64})
	if err := micro.NewEvent("pb", pub.Client()).Publish(ctx, want); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if m := ssetest.Recv(t, got, "the go-micro subscriber"); !proto.Equal(m, want) {
		t.Fatalf("subscriber got %v", m)
	}
	raw, err := base64.StdEncoding.DecodeString(string(st.Next(t).Data))
	if err != nil {
		t.Fatalf("the client's data is not base64: %v", err)
	}
	var m wrapperspb.BytesValue
	if err := proto.Unmarshal(raw, &m); err != nil || !proto.Equal(&m, want) {
		t.Fatalf("decoded %v, %v; want %v", &m, err, want)
	}

	// Without the header: the subscriber only.
	if err := micro.NewEvent("pb", pub.Client()).Publish(context.Background(), want); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if m := ssetest.Recv(t, got, "the go-micro subscriber"); !proto.Equal(m, want) {
		t.Fatalf("subscriber got %v", m)
	}
	if err := pub.Options().Broker.Publish("pb", codec.ToMessage(&codec.Event{Data: []byte("after")})); err != nil {
		t.Fatal(err)
	}
	if e := st.Next(t); string(e.Data) != "after" {
		t.Fatalf("the client got %q, want the text event after the skipped one", e.Data)
	}
	// The skip is counted, then logged, by the goroutine that delivered
	// the message: both may land after the client got "after".
	ssetest.Eventually(t, "the skip counted", func() bool { return s.Stats().BinarySkipped >= 1 })
	ssetest.Eventually(t, "the skip logged", func() bool {
		return len(log.Lines("warn", `"pb"`, "not valid UTF-8")) >= 1
	})
	if n := s.Stats().BinarySkipped; n != 1 {
		t.Fatalf("BinarySkipped = %d, want 1", n)
	}
	if lines := log.Lines("warn", `"pb"`, "not valid UTF-8"); len(lines) != 1 {
		t.Fatalf("want one warning naming the topic, got %q", lines)
	}
}
