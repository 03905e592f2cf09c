package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestHeartbeatsOnTime: no stream stays silent for as long as its
// Heartbeat, in both write modes and on an RPC stream, idle or after an
// event: a proxy whose
// idle timeout is the heartbeat interval keeps it. The silences measured
// here (between the arrivals of any two writes) must stay under 0.9 of
// the interval: the shared writers used to let a stream go silent for
// just under the interval (they look every half), as did RPC streams, a
// stream with its own goroutine for just over it.
func TestHeartbeatsOnTime(t *testing.T) {
	const hb = 1200 * time.Millisecond
	for name, mode := range map[string][]server.Option{"goroutine": {sse.GoroutinePerStream()}, "shared": nil, "rpc": nil} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(append(mode, sse.Heartbeat(hb))...)
			path := "/events?stream=quiet"
			if name == "rpc" { // an RPC stream whose handler sends one event, then waits
				path = "/rpc/blocker.Wait"
				if err := srv.Handle(srv.NewHandler(&blocker{started: make(chan struct{}), ended: make(chan error, 1)})); err != nil {
					t.Fatal(err)
				}
			}
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "heartbeat"})
			c, err := net.Dial("tcp", svc.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
			r := bufio.NewReader(c)
			if _, err := r.Peek(1); err != nil { // the headers and the retry frame
				t.Fatal(err)
			}
			go func() {
				time.Sleep(hb + hb/10)
				_ = srv.Publish(context.Background(), "quiet", &codec.Event{Data: []byte("one")})
			}()
			last, end := time.Now(), time.Now().Add(4*hb)
			var longest time.Duration
			writes := 0
			buf := make([]byte, 4096)
			for time.Now().Before(end) {
				_ = c.SetReadDeadline(end.Add(hb))
				if _, err := r.Read(buf); err != nil {
					t.Fatalf("read after %d writes: %v", writes, err)
				}
				now := time.Now()
				longest = max(longest, now.Sub(last))
				last = now
				writes++
			}
			t.Logf("%d writes in %v, longest silence %v (Heartbeat %v)", writes, 4*hb, longest.Round(time.Millisecond), hb)
			if longest > hb*9/10 {
				t.Fatalf("a silence of %v on a stream with Heartbeat %v", longest, hb)
			}
		})
	}
}
