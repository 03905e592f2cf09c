package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestStopCutsStalledFirstWrites: clients that stall in their very first
// write (a replay whose first batch is one 8 MiB event, far more than the
// sockets hold) are cut after a quarter of ShutdownGrace in both write
// modes: Stop returns nil within grace/4 plus a margin, not after the
// whole grace (it used to take the 4 s: a stream was tracked for shutdown
// only after its first write), with every OnUnsubscribe made.
func TestStopCutsStalledFirstWrites(t *testing.T) {
	for name, mode := range map[string][]server.Option{"goroutine": {sse.GoroutinePerStream()}, "shared": nil} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const clients, grace = 2, 4 * time.Second
			var subscribed, unsubscribed atomic.Int64
			srv := newServer(append(mode,
				sse.WriteTimeout(time.Hour), sse.ShutdownGrace(grace),
				sse.OnSubscribe(func(*http.Request, []string) { subscribed.Add(1) }),
				sse.OnUnsubscribe(func(*http.Request, []string) { unsubscribed.Add(1) }))...)
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "stopfirst",
				Broker: ssebroker.NewBroker(ssebroker.MaxHistoryBytes(64<<20), ssebroker.HistoryBudget(64<<20))})
			first := ssetest.OpenT(t, ssetest.EventsURL("http://"+svc.Addr()+"/events", "big"), "")
			if err := srv.Publish(context.Background(), "big", &codec.Event{Data: []byte("small")}); err != nil {
				t.Fatal(err)
			}
			lastID := first.Next(t).ID
			first.Close()
			if err := srv.Publish(context.Background(), "big", &codec.Event{Data: []byte(strings.Repeat("s", 8<<20))}); err != nil {
				t.Fatal(err)
			}
			for range clients {
				stalledGet(t, svc.Addr(), "/events?stream=big", lastID)
			}
			ssetest.Eventually(t, "the stalled streams open", func() bool { return subscribed.Load() == clients+1 })
			time.Sleep(200 * time.Millisecond) // into their first write

			start := time.Now()
			err := svc.Stop()
			took := time.Since(start)
			t.Logf("Stop with %d clients stalled in their first write took %v (ShutdownGrace %v)", clients, took.Round(time.Millisecond), grace)
			if err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if limit := grace/4 + 1500*time.Millisecond; took > limit {
				t.Fatalf("Stop took %v, want at most a quarter of the grace plus a margin (%v)", took, limit)
			}
			if got := unsubscribed.Load(); got != clients+1 {
				t.Fatalf("Stop returned with %d of %d OnUnsubscribe calls made", got, clients)
			}
		})
	}
}
