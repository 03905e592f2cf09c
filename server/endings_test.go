package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestClientsLeavingCountAsGone: 40 clients that read their first event
// and close their connection while events keep coming are counted as
// gone, not as failed writes, the same in both write modes (the shared
// writers used to count every one as WriteFailed, as their next write
// failed with EPIPE or ECONNRESET).
func TestClientsLeavingCountAsGone(t *testing.T) {
	for name, mode := range map[string][]server.Option{"goroutine": {sse.GoroutinePerStream()}, "shared": nil} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const clients = 40
			srv := newServer(append(mode, sse.Heartbeat(time.Hour))...)
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "gone"})
			url := ssetest.EventsURL("http://"+svc.Addr()+"/events", "leave")
			streams := make([]*ssetest.Stream, clients)
			for i := range streams {
				streams[i] = ssetest.OpenT(t, url, "")
			}
			ssetest.Eventually(t, "streams open", func() bool { return srv.Stats().Endpoint.Open == clients })
			if err := srv.Publish(context.Background(), "leave", &codec.Event{Data: []byte("first")}); err != nil {
				t.Fatal(err)
			}
			for _, s := range streams {
				s.Next(t)
				s.Close()
			}
			for i := 0; srv.Stats().Endpoint.Open > 0; i++ {
				if i > 2000 {
					t.Fatalf("%d streams still open", srv.Stats().Endpoint.Open)
				}
				if err := srv.Publish(context.Background(), "leave", &codec.Event{Data: []byte(fmt.Sprint(i))}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			st := srv.Stats().Endpoint
			if st.WriteFailed != 0 || st.ClientGone != clients {
				t.Fatalf("%d clients that left: WriteFailed %d, ClientGone %d; want 0 and %d", clients, st.WriteFailed, st.ClientGone, clients)
			}
		})
	}
}

// TestRPCClientsLeavingCountAsGone: RPC streams count their endings as
// event streams do: clients that read a little and close are gone, not
// failed writes (they used to be counted nowhere).
func TestRPCClientsLeavingCountAsGone(t *testing.T) {
	const clients = 5
	svc, _, srv := startGreeter(t)
	for range clients {
		s := ssetest.OpenT(t, svc.URL("/rpc/Greeter.Stream?name=x&count=100000000"), "")
		s.Next(t)
		s.Close()
	}
	ssetest.Eventually(t, "the RPC streams ended", func() bool { return srv.Stats().Endpoint.Open == 0 })
	if st := srv.Stats().Endpoint; st.ClientGone != clients || st.WriteFailed != 0 {
		t.Fatalf("%d RPC clients that left: ClientGone %d, WriteFailed %d; want %d and 0", clients, st.ClientGone, st.WriteFailed, clients)
	}
}
