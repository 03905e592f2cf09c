package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestSlowClientCutOffCounted: a client that stops reading and falls
// behind what history holds is ended at once, counted as cut off slow (not
// as a failed write), although its WriteTimeout is an hour.
func TestSlowClientCutOffCounted(t *testing.T) {
	for name, mode := range map[string][]server.Option{"goroutine": {sse.GoroutinePerStream()}, "shared": nil} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(append(mode, sse.WriteTimeout(time.Hour))...)
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "slow", Broker: ssebroker.NewBroker(ssebroker.MaxHistoryEvents(64))})
			stalledGet(t, svc.Addr(), "/events?stream=fast", "garbage")
			reader := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "other"), "")
			defer reader.Close()
			ssetest.Eventually(t, "both streams open", func() bool { return srv.Stats().Endpoint.Open == 2 })

			data := []byte(strings.Repeat("f", 16<<10))
			for i := 0; srv.Stats().Endpoint.CutOffSlow == 0; i++ {
				if i == 20_000 { // 320 MiB: far past any socket buffer
					t.Fatalf("the stalled client was never cut off: %+v", srv.Stats().Endpoint)
				}
				if err := srv.Publish(context.Background(), "fast", &codec.Event{Data: data}); err != nil {
					t.Fatal(err)
				}
			}
			ssetest.Eventually(t, "the stalled stream ended", func() bool { return srv.Stats().Endpoint.Open == 1 })
			if st := srv.Stats().Endpoint; st.CutOffSlow != 1 || st.WriteFailed != 0 {
				t.Fatalf("endpoint counts %+v, want one cut off slow and no failed write", st)
			}
			if err := srv.Publish(context.Background(), "other", &codec.Event{Data: []byte("still")}); err != nil {
				t.Fatal(err)
			}
			if ev := reader.Next(t); string(ev.Data) != "still" {
				t.Fatalf("the reading client got %+v", ev)
			}
		})
	}
}
