package server_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestSnapshot: the Snapshot function's events follow a reset, and come
// first on a first connect that asks for them (?snapshot=1), the last
// carrying the id of the stream's place, from which a reconnect is exact
// and gets no second snapshot. A first connect that does not ask gets
// none; a snapshot that fails or panics leaves the stream going on
// without it.
func TestSnapshot(t *testing.T) {
	var mode atomic.Int32 // 0: state, 1: error, 2: panic
	var calls atomic.Int32
	srv := sse.NewServer(sse.Snapshot(func(ctx context.Context, topic string) ([]codec.Event, error) {
		calls.Add(1)
		switch mode.Load() {
		case 1:
			return nil, errors.New("database down")
		case 2:
			panic("snapshot bug")
		}
		return []codec.Event{
			{Event: "state", Data: []byte(topic + ":whole-1")},
			{Event: "state", Data: []byte(topic + ":whole-2"), ID: "dropped"},
		}, nil
	}))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Broker: ssebroker.NewBroker()})
	publish := func(data string) {
		t.Helper()
		if err := srv.Publish(context.Background(), "a", &codec.Event{Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	next := func(s *ssetest.Stream) string {
		ev := s.Next(t)
		return fmt.Sprintf("%s/%s", ev.Event, ev.Data)
	}
	expect := func(name string, s *ssetest.Stream, want ...string) {
		t.Helper()
		for i, w := range want {
			if got := next(s); got != w {
				t.Fatalf("%s: event %d is %s, want %s", name, i, got, w)
			}
		}
	}
	publish("1")
	publish("2")

	first := ssetest.OpenT(t, svc.URL("/events?stream=a&snapshot=1"), "")
	expect("first connect", first, "state/a:whole-1")
	last := first.Next(t)
	if string(last.Data) != "a:whole-2" || last.ID == "" || last.ID == "dropped" {
		t.Fatalf("the snapshot's last event: %+v, want a:whole-2 with the stream's position as id", last)
	}
	publish("3")
	expect("then live", first, "/3")
	first.Close()

	again := ssetest.OpenT(t, svc.URL("/events?stream=a&snapshot=1"), last.ID)
	expect("resumed from the snapshot's id", again, "/3")
	again.Close()

	reset := ssetest.OpenT(t, svc.URL("/events?stream=a"), "zzzzzzzz-5") // another epoch
	expect("after a reset", reset, "sse-reset/"+`{"reason":"other-epoch","lastEventId":"zzzzzzzz-5"}`, "state/a:whole-1", "state/a:whole-2", "/1", "/2", "/3")
	reset.Close()

	if n := calls.Load(); n != 2 {
		t.Errorf("the snapshot was taken %d times, want 2", n)
	}
	plain := ssetest.OpenT(t, svc.URL("/events?stream=a"), "")
	publish("4")
	expect("first connect without ?snapshot", plain, "/4")
	if n := calls.Load(); n != 2 {
		t.Errorf("the snapshot was taken %d times, want 2", n)
	}

	for _, m := range []int32{1, 2} {
		mode.Store(m)
		s := ssetest.OpenT(t, svc.URL("/events?stream=a"), "zzzzzzzz-5")
		expect(fmt.Sprintf("a snapshot that fails (%d)", m), s, "sse-reset/"+`{"reason":"other-epoch","lastEventId":"zzzzzzzz-5"}`, "/1")
		s.Close()
	}
	if p := srv.Stats().Endpoint.HookPanics; p != 1 {
		t.Errorf("HookPanics = %d, want 1", p)
	}
}
