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
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestHubOptionsBelongToTheOwner: serving this module's broker's hub, the
// server refuses hub options of its own at Start (ErrHubOptions, loud,
// not silently ignored or half-applied), and undoes what it did (the
// broker is disconnected again).
func TestHubOptionsBelongToTheOwner(t *testing.T) {
	b := ssebroker.NewBroker()
	srv := sse.NewServer(server.Address("127.0.0.1:0"), server.Broker(b), server.Registry(registry.NewMemoryRegistry()),
		sse.OwnHub(ssebroker.MaxHistoryEvents(5)))
	err := srv.Start()
	if !errors.Is(err, ssebroker.ErrHubOptions) {
		srv.Stop()
		t.Fatalf("Start with hub options and the sse broker: %v, want ErrHubOptions", err)
	}
	if err := b.Publish("t", &broker.Message{Body: []byte("x")}); !errors.Is(err, ssebroker.ErrNotConnected) {
		t.Fatalf("broker left connected by the failed Start: %v", err)
	}
}

// TestBrokerOwnsTheHub: the broker's hub options bound what the server
// serves, and the hub outlives a Stop and Start of the server unchanged.
func TestBrokerOwnsTheHub(t *testing.T) {
	b := ssebroker.NewBroker(ssebroker.MaxHistoryEvents(3))
	srv := newServer()
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "owner", Broker: b})
	url := ssetest.EventsURL(svc.URL(sse.DefaultEventsPath), "t")
	var ids []string
	live := ssetest.OpenT(t, url, "")
	for i := 0; i < 6; i++ {
		if err := srv.Publish(context.Background(), "t", &codec.Event{Data: []byte{'a' + byte(i)}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, live.Next(t).ID)
	}
	if st := srv.Stats(); st.HistoryEvents != 3 {
		t.Fatalf("history %d events, want the broker's bound 3", st.HistoryEvents)
	}
	old := ssetest.OpenT(t, url, ids[0])
	if ev := old.Next(t); ev.Event != codec.ResetEventType {
		t.Fatalf("resume from an evicted id: %+v, want %s", ev, codec.ResetEventType)
	}
	exact := ssetest.OpenT(t, url, ids[2])
	for _, want := range ids[3:] {
		if ev := exact.Next(t); ev.ID != want {
			t.Fatalf("exact resume: %q, want %q", ev.ID, want)
		}
	}
}

// TestOwnHubOptions: with a foreign broker the server makes its own hub
// with its own options; MaxHistoryEvents(0) means no history (it once was
// ignored): live events still flow, what the streams have read is freed,
// and a resume gets the reset.
func TestOwnHubOptions(t *testing.T) {
	srv := newServer(sse.OwnHub(ssebroker.MaxHistoryEvents(0)))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "own"}) // go-micro's memory broker
	url := ssetest.EventsURL(svc.URL(sse.DefaultEventsPath), "t")
	live := ssetest.OpenT(t, url, "")
	var ids []string
	for i := 0; i < 3; i++ {
		if err := srv.TryPublish("t", &codec.Event{Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, live.Next(t).ID)
	}
	if st := srv.Stats(); st.HistoryEvents > 1 {
		t.Fatalf("history %+v with MaxHistoryEvents(0): more than the event not yet seen read", st)
	}
	s := ssetest.OpenT(t, url, ids[0])
	if ev := s.Next(t); ev.Event != codec.ResetEventType {
		t.Fatalf("resume with no history: %+v, want %s", ev, codec.ResetEventType)
	}
}
