package server_test

import (
	"context"
	"errors"
	"testing"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

func TestPublishNotRunning(t *testing.T) {
	s := newServer(server.Broker(broker.NewMemoryBroker()), server.Registry(registry.NewMemoryRegistry()))
	ev := &codec.Event{Data: []byte("x")}
	if err := s.Publish(context.Background(), "t", ev); !errors.Is(err, sse.ErrNotRunning) {
		t.Fatalf("Publish before Start = %v", err)
	}
	if err := s.TryPublish("t", ev); !errors.Is(err, sse.ErrNotRunning) {
		t.Fatalf("TryPublish before Start = %v", err)
	}
	if err := s.PublishData(context.Background(), "t", 1); !errors.Is(err, sse.ErrNotRunning) {
		t.Fatalf("PublishData before Start = %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.TryPublish("t", ev); err != nil {
		t.Fatalf("TryPublish while running: %v", err)
	}
	if st := s.Stats(); st.Published != 1 {
		t.Fatalf("Stats().Published = %d", st.Published)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.TryPublish("t", ev); !errors.Is(err, sse.ErrNotRunning) {
		t.Fatalf("TryPublish after Stop = %v", err)
	}
	if st := s.Stats(); st.Published != 0 || st.Endpoint.Accepted != 0 {
		t.Fatalf("Stats after Stop = %+v", st)
	}
}

func TestPublishRefusals(t *testing.T) {
	s := newServer()
	ssetest.StartService(t, s, ssetest.ServiceOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Publish(ctx, "t", &codec.Event{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
	if err := s.Publish(context.Background(), "t", nil); err == nil {
		t.Fatal("nil event accepted")
	}
	if err := s.TryPublish("t", nil); err == nil {
		t.Fatal("nil event accepted")
	}
	bad := &codec.Event{Event: "a\nb", Data: []byte("x")}
	if err := s.Publish(context.Background(), "t", bad); !errors.Is(err, codec.ErrInvalidEvent) {
		t.Fatalf("Publish of an injecting type = %v, want ErrInvalidEvent", err)
	}
	if err := s.TryPublish("t", bad); !errors.Is(err, codec.ErrInvalidEvent) {
		t.Fatalf("TryPublish of an injecting type = %v, want ErrInvalidEvent", err)
	}
	if err := s.PublishData(context.Background(), "t", func() {}); err == nil {
		t.Fatal("PublishData of a func accepted")
	}
}

// TestPublishSharedHub: with this module's broker the server serves from
// the broker's hub: Publish and a broker publish land in the same hub, in
// one id sequence, and nothing is bridged.
func TestPublishSharedHub(t *testing.T) {
	b := ssebroker.NewBroker()
	s := newServer()
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{Broker: b})
	st := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "shared"), "")
	ssetest.Eventually(t, "stream open", func() bool { return s.Stats().Subscribers == 1 })

	if err := s.PublishData(context.Background(), "shared", []int{1}); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("shared", codec.ToMessage(&codec.Event{Data: []byte("from broker")})); err != nil {
		t.Fatal(err)
	}
	first, second := st.Next(t), st.Next(t)
	if string(first.Data) != "[1]" || string(second.Data) != "from broker" {
		t.Fatalf("events = %q, %q", first.Data, second.Data)
	}
	if first.ID == second.ID || first.ID == "" {
		t.Fatalf("ids %q, %q", first.ID, second.ID)
	}
	p, ok := b.(hub.Provider)
	if !ok {
		t.Fatal("broker is no hub.Provider")
	}
	if got, want := s.Stats().Published, p.SSEHub().Stats().Published; got != want || got != 2 {
		t.Fatalf("server hub published %d, broker hub %d, want both 2", got, want)
	}
	if s.Stats().BridgedTopics != 0 {
		t.Fatal("bridged with this module's broker")
	}
}
