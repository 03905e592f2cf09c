package server_test

import (
	"context"
	"strings"
	"testing"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// fillHistory publishes about 6 MiB of events (within the default history
// bounds) to publish.
func fillHistory(t *testing.T, publish func(ev *codec.Event) error) {
	t.Helper()
	data := []byte(strings.Repeat("x", 4<<10))
	for range 1500 {
		if err := publish(&codec.Event{Data: data}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStoppedServicesFreeTheirHistory: three services built, started,
// filled with history and stopped in one process leave the heap where it
// was before they were built (each used to keep its broker's hub, history
// included, reachable through the hub's sweep timer).
func TestStoppedServicesFreeTheirHistory(t *testing.T) {
	const slack = 4 << 20 // go-micro's own leftovers, far below one history
	before := ssetest.MemAfterGC().HeapAlloc
	for i := range 3 {
		func() {
			srv := newServer()
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "heap", Broker: ssebroker.NewBroker()})
			fillHistory(t, func(ev *codec.Event) error { return srv.Publish(context.Background(), "big", ev) })
			if st := srv.Stats(); st.HistoryBytes < 5<<20 {
				t.Fatalf("service %d holds %d bytes of history, want the ~6 MiB published", i, st.HistoryBytes)
			}
			if err := svc.Stop(); err != nil {
				t.Fatal(err)
			}
		}()
	}
	after := ssetest.MemAfterGC().HeapAlloc
	t.Logf("heap %.1f MiB after three stopped services (each held ~6 MiB of history), %.1f MiB before", float64(after)/(1<<20), float64(before)/(1<<20))
	if after > before+slack {
		t.Fatalf("heap %.1f MiB after three stopped services, %.1f MiB before", float64(after)/(1<<20), float64(before)/(1<<20))
	}
}

// TestDroppedBrokerFreesItsHistory: a broker connected, filled and dropped
// without Disconnect is collected with its hub.
func TestDroppedBrokerFreesItsHistory(t *testing.T) {
	const slack = 2 << 20
	before := ssetest.MemAfterGC().HeapAlloc
	func() {
		b := ssebroker.NewBroker()
		if err := b.Connect(); err != nil {
			t.Fatal(err)
		}
		fillHistory(t, func(ev *codec.Event) error { return b.Publish("big", codec.ToMessage(ev)) })
	}()
	after := ssetest.MemAfterGC().HeapAlloc
	t.Logf("heap %.1f MiB after a dropped broker (it held ~6 MiB of history), %.1f MiB before", float64(after)/(1<<20), float64(before)/(1<<20))
	if after > before+slack {
		t.Fatalf("heap %.1f MiB after a dropped broker, %.1f MiB before", float64(after)/(1<<20), float64(before)/(1<<20))
	}
}
