package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// gatedBroker is go-micro's memory broker whose Subscribe can be held
// (a broker slow over the network) or made to fail, per topic.
type gatedBroker struct {
	broker.Broker

	mu    sync.Mutex
	gates map[string]chan struct{} // Subscribe of the topic waits for close
	fail  map[string]error         // Subscribe of the topic fails
	calls map[string]int
	// entered receives the topic of each Subscribe that waits at a gate.
	entered chan string
}

func newGatedBroker() *gatedBroker {
	return &gatedBroker{Broker: broker.NewMemoryBroker(), gates: map[string]chan struct{}{},
		fail: map[string]error{}, calls: map[string]int{}, entered: make(chan string, 10)}
}

func (b *gatedBroker) Subscribe(topic string, h broker.Handler, opts ...broker.SubscribeOption) (broker.Subscriber, error) {
	b.mu.Lock()
	b.calls[topic]++
	gate, err := b.gates[topic], b.fail[topic]
	b.mu.Unlock()
	if gate != nil {
		b.entered <- topic
		<-gate
	}
	if err != nil {
		return nil, err
	}
	return b.Broker.Subscribe(topic, h, opts...)
}

func (b *gatedBroker) set(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f()
}

func (b *gatedBroker) subscribeCalls(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[topic]
}

func (b *gatedBroker) publish(t *testing.T, topic, data string) {
	t.Helper()
	if err := b.Publish(topic, codec.ToMessage(&codec.Event{Data: []byte(data)})); err != nil {
		t.Fatal(err)
	}
}

// TestBridgeSlowSubscribeHoldsUpOnlyItsTopic: while the broker takes its
// time subscribing one topic, a new stream on another, already bridged
// topic opens and gets its events.
func TestBridgeSlowSubscribeHoldsUpOnlyItsTopic(t *testing.T) {
	b := newGatedBroker()
	srv := newServer()
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "slowbridge", Broker: b})
	first := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "fast"), "")
	defer first.Close()
	ssetest.Eventually(t, "fast bridged", func() bool { return srv.Stats().BridgedTopics == 1 })

	gate := make(chan struct{})
	b.set(func() { b.gates["slow"] = gate })
	slowDone := make(chan error, 1)
	go func() {
		s, err := ssetest.Open(context.Background(), nil, ssetest.EventsURL(svc.URL("/events"), "slow"), "")
		if err == nil {
			s.Close()
		}
		slowDone <- err
	}()
	ssetest.Recv(t, b.entered, "the slow topic's Subscribe")

	start := time.Now()
	second := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "fast"), "")
	defer second.Close()
	t.Logf("a stream on a bridged topic opened in %v while another topic's Subscribe hangs", time.Since(start).Round(time.Microsecond))
	b.publish(t, "fast", "while slow subscribes")
	if ev := second.Next(t); string(ev.Data) != "while slow subscribes" {
		t.Fatalf("second fast stream got %+v", ev)
	}
	close(gate)
	if err := ssetest.Recv(t, slowDone, "the slow stream"); err != nil {
		t.Fatalf("slow stream: %v", err)
	}
}

// TestBridgeNeverClaimsExactAcrossGap: a client that comes back within
// the linger gets what was published meanwhile; one that comes back after
// the node unsubscribed, from an id before that, gets sse-reset, not a
// silent gap.
func TestBridgeNeverClaimsExactAcrossGap(t *testing.T) {
	b := newGatedBroker()
	srv := newServer(sse.Retry(10*time.Millisecond), sse.BridgeLinger(4*time.Second), sse.Heartbeat(10*time.Millisecond))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "gap", Broker: b})
	url := ssetest.EventsURL(svc.URL("/events"), "news")

	s := ssetest.OpenT(t, url, "")
	ssetest.Eventually(t, "news bridged", func() bool { return srv.Stats().BridgedTopics == 1 })
	b.publish(t, "news", "one")
	one := s.Next(t)
	s.Close()
	ssetest.Eventually(t, "the client gone", func() bool { return srv.Stats().Endpoint.Open == 0 })

	// Within the linger: nothing missed.
	b.publish(t, "news", "two")
	if srv.Stats().BridgedTopics != 1 {
		t.Fatal("the bridge unsubscribed at once when the last client left")
	}
	s = ssetest.OpenT(t, url, one.ID)
	if ev := s.Next(t); string(ev.Data) != "two" {
		t.Fatalf("resume within the linger got %+v, want two", ev)
	}
	s.Close()

	// After the linger: the node unsubscribes, "three" is lost for it.
	ssetest.Eventually(t, "the bridge unsubscribed after the linger", func() bool { return srv.Stats().BridgedTopics == 0 })
	b.publish(t, "news", "three")
	s = ssetest.OpenT(t, url, one.ID)
	defer s.Close()
	b.publish(t, "news", "four")
	// The reset stands where the gap is: before it what history held after
	// the client's id, after it what came since (go-micro's memory broker
	// may still hand "three" to a subscription it is ending).
	reset := false
	for {
		ev := s.Next(t)
		if ev.Event == "sse-reset" {
			var data struct{ Reason string }
			if json.Unmarshal(ev.Data, &data) != nil || data.Reason != "evicted" {
				t.Fatalf("reset %q, want reason evicted", ev.Data)
			}
			reset = true
		}
		if string(ev.Data) == "four" {
			break
		}
	}
	if !reset {
		t.Fatal("a resume across a time the node was not subscribed got no sse-reset")
	}
}

// TestBridgeSubscribeFailureToldAndRetried: when the broker refuses to
// subscribe a topic, its streams get 503 with Retry-After (counted), the
// broker is not asked again before the backoff, and once it recovers the
// topic is served.
func TestBridgeSubscribeFailureToldAndRetried(t *testing.T) {
	b := newGatedBroker()
	b.set(func() { b.fail["down"] = errors.New("broker unreachable") })
	srv := newServer()
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "bridgedown", Broker: b})
	url := ssetest.EventsURL(svc.URL("/events"), "down")

	for i := range 2 {
		_, err := ssetest.Open(context.Background(), nil, url, "")
		var se *ssetest.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable {
			t.Fatalf("request %d on a topic the broker refuses: %v, want 503", i, err)
		}
		if n, err := strconv.Atoi(se.Header.Get("Retry-After")); err != nil || n < 1 {
			t.Fatalf("Retry-After %q", se.Header.Get("Retry-After"))
		}
	}
	if got := b.subscribeCalls("down"); got != 1 {
		t.Fatalf("broker asked %d times within the backoff, want 1", got)
	}
	if got := srv.Stats().Endpoint.Refused[sse.ReasonBridge]; got != 2 {
		t.Fatalf("Refused[bridge] = %d, want 2", got)
	}
	other := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "up"), "")
	other.Close()

	b.set(func() { delete(b.fail, "down") })
	var s *ssetest.Stream
	ssetest.Eventually(t, "the topic served after the broker recovered", func() bool {
		var err error
		s, err = ssetest.Open(context.Background(), nil, url, "")
		return err == nil
	})
	defer s.Close()
	b.publish(t, "down", "back")
	if ev := s.Next(t); string(ev.Data) != "back" {
		t.Fatalf("event %+v", ev)
	}
}

// TestBridgeResetIDAfterHeldEvents: a resume on a&b after a1, where b is
// subscribed on the broker only now, gets a2 (held since) and then the
// reset for b; the reset's id is greater than a2's (ids strictly increase
// on a stream, resets included), and a reconnect from it is exact.
func TestBridgeResetIDAfterHeldEvents(t *testing.T) {
	srv := newServer(sse.BridgeLinger(time.Minute), sse.Heartbeat(10*time.Millisecond))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "gap", Broker: broker.NewMemoryBroker()})
	ctx := context.Background()

	a := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "a"), "")
	ssetest.Eventually(t, "a bridged", func() bool { return srv.Stats().BridgedTopics == 1 })
	if err := srv.Publish(ctx, "a", &codec.Event{Data: []byte("a1")}); err != nil {
		t.Fatal(err)
	}
	a1 := a.Next(t)
	a.Close()
	ssetest.Eventually(t, "the client gone", func() bool { return srv.Stats().Endpoint.Open == 0 })
	if err := srv.Publish(ctx, "a", &codec.Event{Data: []byte("a2")}); err != nil {
		t.Fatal(err)
	}

	both := ssetest.EventsURL(svc.URL("/events"), "a", "b")
	s := ssetest.OpenT(t, both, a1.ID)
	defer s.Close()
	a2 := s.Next(t)
	reset := s.Next(t)
	if string(a2.Data) != "a2" || reset.Event != codec.ResetEventType {
		t.Fatalf("resume after a1 got %q %q, then %q %q; want a2, then the reset", a2.ID, a2.Data, reset.ID, reset.Event)
	}
	if idSeq(t, reset.ID) <= idSeq(t, a2.ID) {
		t.Fatalf("reset id %q after event id %q: ids must strictly increase", reset.ID, a2.ID)
	}
	if err := srv.Publish(ctx, "b", &codec.Event{Data: []byte("b1")}); err != nil {
		t.Fatal(err)
	}
	b1 := s.Next(t)
	if string(b1.Data) != "b1" || idSeq(t, b1.ID) <= idSeq(t, reset.ID) {
		t.Fatalf("after the reset %q: %q %q", reset.ID, b1.ID, b1.Data)
	}
	again := ssetest.OpenT(t, both, reset.ID)
	defer again.Close()
	if err := srv.Publish(ctx, "a", &codec.Event{Data: []byte("a3")}); err != nil {
		t.Fatal(err)
	}
	if ev := again.Next(t); string(ev.Data) != "b1" {
		t.Fatalf("reconnect from the reset's id got %q %q, want b1 (exact)", ev.Event, ev.Data)
	}
}

// idSeq returns the sequence part of a hub id "<epoch>-<seq base 36>".
func idSeq(t *testing.T, id string) uint64 {
	t.Helper()
	i := strings.LastIndexByte(id, '-')
	n, err := strconv.ParseUint(id[i+1:], 36, 64)
	if i < 0 || err != nil {
		t.Fatalf("id %q is no hub id", id)
	}
	return n
}

// TestBridgeTooLargeMessageLoggedAndMarked: a message another service
// publishes on the foreign broker that the server's hub cannot hold (larger
// than its MaxHistoryBytes) cuts nobody off: the streams go on with the
// next event; the drop is logged, and a resume from before it is told of
// the gap (sse-reset), never exact.
func TestBridgeTooLargeMessageLoggedAndMarked(t *testing.T) {
	log := ssetest.NewLog()
	b := broker.NewMemoryBroker()
	srv := newServer(server.WithLogger(log), sse.OwnHub(ssebroker.MaxHistoryBytes(4096)))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "large", Broker: b})
	url := ssetest.EventsURL(svc.URL("/events"), "news")
	s := ssetest.OpenT(t, url, "")
	defer s.Close()
	ssetest.Eventually(t, "news bridged", func() bool { return srv.Stats().BridgedTopics == 1 })

	publish := func(data string) {
		t.Helper()
		if err := b.Publish("news", codec.ToMessage(&codec.Event{Data: []byte(data)})); err != nil {
			t.Fatal(err)
		}
	}
	publish("before")
	before := s.Next(t)
	publish(strings.Repeat("x", 5000))
	publish("after")
	if ev := s.Next(t); string(ev.Data) != "after" {
		t.Fatalf("after the large message the stream got %q (%d bytes), want after", ev.Event, len(ev.Data))
	}
	if n := srv.Stats().CutOffSlow; n != 0 {
		t.Fatalf("CutOffSlow = %d", n)
	}
	if len(log.Lines("news", "larger than the history")) == 0 {
		t.Fatal("the dropped message was not logged")
	}
	again := ssetest.OpenT(t, url, before.ID)
	defer again.Close()
	if ev := again.Next(t); ev.Event != codec.ResetEventType {
		t.Fatalf("resume from before the dropped message got %q %q, want the reset", ev.Event, ev.Data)
	}
}
