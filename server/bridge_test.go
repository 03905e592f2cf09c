package server_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v4"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/transport"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// Note is what the services of these tests publish.
type Note struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

// publisher is a plain go-micro service (rpc server) publishing with its
// own HTTP broker on reg.
func publisher(t *testing.T, reg registry.Registry) *ssetest.Service {
	return ssetest.StartService(t, server.NewRPCServer(server.Transport(transport.NewHTTPTransport())),
		ssetest.ServiceOptions{Name: "publisher", Broker: ssetest.HTTPBroker(t, reg), Registry: reg})
}

// TestBridgeHTTPBroker: a service publishes with micro.NewEvent through
// go-micro's HTTP broker; a browser-like client of the SSE node gets it as
// an event (JSON data, trailing newline trimmed), and so does a go-micro
// subscriber on the SSE server. The bridge follows the clients: subscribed
// while one reads the topic, unsubscribed when the last leaves.
func TestBridgeHTTPBroker(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	// A closed client is found by a failing write: heartbeat often.
	s := newServer(sse.Heartbeat(10 * time.Millisecond))
	got := make(chan *Note, 10)
	if err := micro.RegisterSubscriber("news", s, func(ctx context.Context, n *Note) error {
		got <- n
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	node := ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "sse", Broker: ssetest.HTTPBroker(t, reg), Registry: reg})
	pub := publisher(t, reg)

	st := ssetest.OpenT(t, ssetest.EventsURL(node.URL("/events"), "news"), "")
	ssetest.Eventually(t, "bridge subscribed to news", func() bool { return s.Stats().BridgedTopics == 1 })

	ev := micro.NewEvent("news", pub.Client())
	if err := ev.Publish(context.Background(), &Note{Text: "hello", N: 1}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	e := st.Next(t)
	if string(e.Data) != `{"text":"hello","n":1}` {
		t.Fatalf("event data = %q", e.Data)
	}
	if e.ID == "" {
		t.Fatal("event has no id")
	}
	if n := ssetest.Recv(t, got, "go-micro subscriber"); n.Text != "hello" || n.N != 1 {
		t.Fatalf("subscriber got %+v", n)
	}

	// Sse-Event and Sse-Id headers set the event's fields.
	msg := codec.ToMessage(&codec.Event{Event: "update", Data: []byte("raw")})
	if err := pub.Options().Broker.Publish("news", msg); err != nil {
		t.Fatal(err)
	}
	if e := st.Next(t); e.Event != "update" || string(e.Data) != "raw" {
		t.Fatalf("event = %+v", e)
	}

	// The last client leaving does not unsubscribe the bridge here: with
	// go-micro's HTTP broker that would unregister the go-micro subscriber
	// of the same topic as well. It still gets what is published next.
	st.Close()
	ssetest.Eventually(t, "client gone", func() bool { return s.Stats().Subscribers == 0 })
	if err := ev.Publish(context.Background(), &Note{Text: "after", N: 2}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if n := ssetest.Recv(t, got, "go-micro subscriber after the client left"); n.Text != "after" {
		t.Fatalf("subscriber got %+v", n)
	}
	if s.Stats().BridgedTopics != 1 {
		t.Fatal("bridge unsubscribed a topic a go-micro subscriber follows")
	}
	registered := false
	for _, n := range nodes(reg, "micro.http.broker") {
		registered = registered || n.Metadata["topic"] == "news"
	}
	if !registered {
		t.Fatal("the go-micro subscriber's broker registration is gone")
	}
}

// TestPublishThroughForeignBroker: with a foreign broker, Publish goes
// through the broker, so the clients of every node get it; TryPublish stays
// on this node.
func TestPublishThroughForeignBroker(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	opts := []server.Option{sse.Heartbeat(10 * time.Millisecond), sse.Retry(10 * time.Millisecond), sse.BridgeLinger(time.Millisecond)}
	a, b := newServer(opts...), newServer(opts...)
	na := ssetest.StartService(t, a, ssetest.ServiceOptions{Name: "sse", Broker: ssetest.HTTPBroker(t, reg), Registry: reg})
	nb := ssetest.StartService(t, b, ssetest.ServiceOptions{Name: "sse", Broker: ssetest.HTTPBroker(t, reg), Registry: reg})
	sa := ssetest.OpenT(t, ssetest.EventsURL(na.URL("/events"), "t"), "")
	sb := ssetest.OpenT(t, ssetest.EventsURL(nb.URL("/events"), "t"), "")
	ssetest.Eventually(t, "both bridges subscribed", func() bool {
		return a.Stats().BridgedTopics == 1 && b.Stats().BridgedTopics == 1
	})

	if err := a.TryPublish("t", &codec.Event{Data: []byte("local")}); err != nil {
		t.Fatal(err)
	}
	if err := a.PublishData(context.Background(), "t", map[string]int{"n": 2}); err != nil {
		t.Fatal(err)
	}
	if e := sa.Next(t); string(e.Data) != "local" {
		t.Fatalf("a got %q first, want the local event", e.Data)
	}
	if e := sa.Next(t); string(e.Data) != `{"n":2}` {
		t.Fatalf("a got %q", e.Data)
	}
	if e := sb.Next(t); string(e.Data) != `{"n":2}` {
		t.Fatalf("b got %q, want only the broker-published event", e.Data)
	}
	if got := b.Stats().Published; got != 1 {
		t.Fatalf("b's hub published %d events, want 1 (TryPublish stays local)", got)
	}

	// The last client leaving unsubscribes the bridge on the broker, once
	// the linger (here Retry plus 2s) is over.
	sa.Close()
	sb.Close()
	ssetest.Eventually(t, "bridges unsubscribed", func() bool {
		return a.Stats().BridgedTopics == 0 && b.Stats().BridgedTopics == 0
	})
	for _, n := range nodes(reg, "micro.http.broker") {
		if n.Metadata["topic"] == "t" {
			t.Fatalf("broker subscription left in the registry: %+v", n)
		}
	}
}

// TestQueueGroupAcrossNodes: go-micro subscribers in one queue group on
// two SSE nodes share the messages, each message going to exactly one.
// (go-micro's HTTP broker dispatches by topic and broker, not by
// subscription, so a queue and a broadcast subscriber on the same topic of
// one node would each see both deliveries: the broadcast subscribers here
// follow another topic.)
func TestQueueGroupAcrossNodes(t *testing.T) {
	const n = 20
	reg := registry.NewMemoryRegistry()
	var queued [2]atomic.Int64
	var all [2]atomic.Int64
	for i := range 2 {
		s := newServer()
		if err := micro.RegisterSubscriber("jobs", s, func(ctx context.Context, j *Note) error {
			queued[i].Add(1)
			return nil
		}, server.SubscriberQueue("workers")); err != nil {
			t.Fatal(err)
		}
		if err := micro.RegisterSubscriber("jobs.done", s, func(ctx context.Context, j *Note) error {
			all[i].Add(1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "worker", Broker: ssetest.HTTPBroker(t, reg), Registry: reg})
	}
	pub := publisher(t, reg)
	jobs, done := micro.NewEvent("jobs", pub.Client()), micro.NewEvent("jobs.done", pub.Client())
	for i := range n {
		if err := jobs.Publish(context.Background(), &Note{N: i}); err != nil {
			t.Fatal(err)
		}
		if err := done.Publish(context.Background(), &Note{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	ssetest.Eventually(t, "every message delivered", func() bool {
		return all[0].Load() == n && all[1].Load() == n && queued[0].Load()+queued[1].Load() >= n
	})
	if q := queued[0].Load() + queued[1].Load(); q != n {
		t.Fatalf("queue group got %d messages, want %d", q, n)
	}
	if queued[0].Load() == 0 || queued[1].Load() == 0 {
		t.Fatalf("queue group shares not spread: %d and %d", queued[0].Load(), queued[1].Load())
	}
}
