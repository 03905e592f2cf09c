package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go-micro.dev/v4/broker"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestUnusableLastEventIDGetsReset: a Last-Event-ID that cannot be placed,
// however long or odd, opens the stream with sse-reset (invalid-id) and the
// history, never a 4xx (after which EventSource never reconnects).
func TestUnusableLastEventIDGetsReset(t *testing.T) {
	srv := newServer()
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "lastid", Broker: ssebroker.NewBroker()})
	if err := srv.Publish(context.Background(), "news", &codec.Event{Data: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{
		"2 KiB":       strings.Repeat("x", 2048),
		"64 KiB":      strings.Repeat("k3j9q0ab-2s", 6000),
		"not UTF-8":   "\xff\xfe-1",
		"query param": "",
	} {
		t.Run(name, func(t *testing.T) {
			u := ssetest.EventsURL(svc.URL("/events"), "news")
			if id == "" {
				u += "&lastEventId=" + strings.Repeat("y", 5000)
			}
			s := ssetest.OpenT(t, u, id)
			defer s.Close()
			ev := s.Next(t)
			var data struct{ Reason, LastEventID string }
			if err := json.Unmarshal(ev.Data, &data); ev.Event != "sse-reset" || err != nil || data.Reason != "invalid-id" {
				t.Fatalf("first event %q %q, want sse-reset invalid-id", ev.Event, ev.Data)
			}
			if len(data.LastEventID) > 1024 {
				t.Errorf("reset echoes %d bytes of the id", len(data.LastEventID))
			}
			if ev := s.Next(t); string(ev.Data) != "one" {
				t.Fatalf("after the reset %+v, want the history", ev)
			}
		})
	}
}

// TestPublisherIDLengthLimited: with KeepPublisherIDs a publisher id longer
// than the limit is refused at Publish with a named error (its clients
// could never resume from it); one at the limit passes and resumes.
func TestPublisherIDLengthLimited(t *testing.T) {
	srv := newServer() // the hub is the broker's: KeepPublisherIDs is the broker's
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "pubid", Broker: ssebroker.NewBroker(ssebroker.KeepPublisherIDs())})
	long := strings.Repeat("i", sse.MaxPublisherIDLength+1)
	if err := srv.Publish(context.Background(), "news", &codec.Event{ID: long, Data: []byte("x")}); !errors.Is(err, sse.ErrIDTooLong) {
		t.Fatalf("Publish with a %d-byte id: %v, want ErrIDTooLong", len(long), err)
	}
	msg := &broker.Message{Header: map[string]string{codec.HeaderID: long}, Body: []byte("x")}
	if err := svc.Options().Broker.Publish("news", msg); !errors.Is(err, ssebroker.ErrIDTooLong) {
		t.Fatalf("broker Publish with a %d-byte Sse-Id: %v, want ErrIDTooLong", len(long), err)
	}
	atLimit := long[1:]
	for _, id := range []string{atLimit, "after"} {
		if err := srv.Publish(context.Background(), "news", &codec.Event{ID: id, Data: []byte(id)}); err != nil {
			t.Fatalf("Publish %d-byte id: %v", len(id), err)
		}
	}
	s := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "news"), atLimit)
	defer s.Close()
	if ev := s.Next(t); ev.ID != "after" {
		t.Fatalf("resume from the %d-byte id: %+v, want the event after it", len(atLimit), ev)
	}
}
