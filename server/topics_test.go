package server_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestExplicitTopicsThroughHTTP: with ExplicitTopics, a topic is served
// once created (before Start or while running) and no longer once deleted;
// its open streams end when it is.
func TestExplicitTopicsThroughHTTP(t *testing.T) {
	srv := newServer()
	if err := srv.CreateTopic("early"); err != nil {
		t.Fatalf("CreateTopic before Start: %v", err)
	}
	if err := srv.CreateTopic("has space"); !errors.Is(err, sse.ErrInvalidTopic) {
		t.Fatalf("CreateTopic of an invalid name: %v, want ErrInvalidTopic", err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "explicit", Broker: ssebroker.NewBroker(ssebroker.ExplicitTopics())})
	status := func(topic string) int {
		t.Helper()
		s, err := ssetest.Open(context.Background(), nil, ssetest.EventsURL(svc.URL("/events"), topic), "")
		var se *ssetest.StatusError
		if errors.As(err, &se) {
			return se.Code
		}
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		return http.StatusOK
	}
	if got := status("news"); got != http.StatusNotFound {
		t.Fatalf("stream on a topic never created: %d, want 404", got)
	}
	if err := srv.Publish(context.Background(), "news", &codec.Event{Data: []byte("x")}); !errors.Is(err, sse.ErrUnknownTopic) {
		t.Fatalf("Publish to a topic never created: %v, want ErrUnknownTopic", err)
	}
	if got := status("early"); got != http.StatusOK {
		t.Fatalf("stream on a topic created before Start: %d", got)
	}

	if err := srv.CreateTopic("news"); err != nil {
		t.Fatal(err)
	}
	s := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "news"), "")
	if err := srv.Publish(context.Background(), "news", &codec.Event{Data: []byte("created")}); err != nil {
		t.Fatalf("Publish to a created topic: %v", err)
	}
	if ev := s.Next(t); string(ev.Data) != "created" {
		t.Fatalf("event %+v", ev)
	}

	if err := srv.DeleteTopic("news"); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("stream of a deleted topic: %v, want its end", err)
	}
	if got := status("news"); got != http.StatusNotFound {
		t.Fatalf("stream on a deleted topic: %d, want 404", got)
	}
	if err := srv.DeleteTopic("news"); !errors.Is(err, sse.ErrUnknownTopic) {
		t.Fatalf("second DeleteTopic: %v, want ErrUnknownTopic", err)
	}
}

// TestExplicitTopicsNotBridged: with a foreign broker and ExplicitTopics,
// a stream on a topic never created is answered 404 without the broker
// being asked to subscribe it.
func TestExplicitTopicsNotBridged(t *testing.T) {
	b := newGatedBroker()
	srv := newServer(sse.OwnHub(ssebroker.ExplicitTopics()))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "explicitbridge", Broker: b})
	_, err := ssetest.Open(context.Background(), nil, ssetest.EventsURL(svc.URL("/events"), "nope"), "")
	var se *ssetest.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotFound {
		t.Fatalf("stream on a topic never created: %v, want 404", err)
	}
	if n := b.subscribeCalls("nope"); n != 0 {
		t.Fatalf("the broker was asked %d times to subscribe a topic the server does not serve", n)
	}
	if err := srv.CreateTopic("yes"); err != nil {
		t.Fatal(err)
	}
	s := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "yes"), "")
	defer s.Close()
	b.publish(t, "yes", "bridged")
	if ev := s.Next(t); string(ev.Data) != "bridged" {
		t.Fatalf("event %+v", ev)
	}
}
