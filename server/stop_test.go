package server_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// stalledGet sends GET path over HTTP/1.1 (with Last-Event-ID lastID
// unless empty) on a socket with a tiny receive buffer, and never reads.
func stalledGet(t *testing.T, addr, path, lastID string) {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024) })
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	header := ""
	if lastID != "" {
		header = "Last-Event-ID: " + lastID + "\r\n"
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n", path, header)
}

// TestStopWithStalledClients: Stop with clients that stopped reading in
// the middle of a large replay returns nil, without waiting for their
// WriteTimeout or the whole ShutdownGrace (it used to return "context
// deadline exceeded" in GoroutinePerStream mode), and when it returns
// every OnUnsubscribe has run: none runs after it.
func TestStopWithStalledClients(t *testing.T) {
	for name, mode := range map[string][]server.Option{"goroutine": {sse.GoroutinePerStream()}, "shared": nil} {
		t.Run(name, func(t *testing.T) {
			const clients = 20
			var subscribed, unsubscribed atomic.Int64
			var stopped, late atomic.Bool
			srv := newServer(append(mode,
				sse.WriteTimeout(time.Hour), sse.ShutdownGrace(3*time.Second),
				sse.OnSubscribe(func(*http.Request, []string) { subscribed.Add(1) }),
				sse.OnUnsubscribe(func(*http.Request, []string) {
					time.Sleep(time.Millisecond) // a hook that takes a little time
					if stopped.Load() {
						late.Store(true)
					}
					unsubscribed.Add(1)
				}))...)
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "stop", Broker: ssebroker.NewBroker(ssebroker.MaxHistoryBytes(64<<20), ssebroker.HistoryBudget(64<<20))})
			data := []byte(strings.Repeat("s", 4<<10))
			for range 5000 { // 20 MiB: more than the sockets of a client hold
				if err := srv.Publish(context.Background(), "big", &codec.Event{Data: data}); err != nil {
					t.Fatal(err)
				}
			}
			for range clients {
				stalledGet(t, svc.Addr(), "/events?stream=big", "garbage")
			}
			ssetest.Eventually(t, "the stalled streams open", func() bool { return subscribed.Load() == clients })

			start := time.Now()
			err := svc.Stop()
			stopped.Store(true)
			t.Logf("Stop with %d stalled clients took %v (ShutdownGrace 3s)", clients, time.Since(start).Round(time.Millisecond))
			if err != nil {
				t.Fatalf("Stop with stalled clients: %v", err)
			}
			if got := unsubscribed.Load(); got != clients {
				t.Fatalf("Stop returned with %d of %d OnUnsubscribe calls made", got, clients)
			}
			if late.Load() {
				t.Fatal("an OnUnsubscribe ran after Stop returned")
			}
		})
	}
}

// TestStopWithStalledHTTP2Clients: the same over TLS and HTTP/2, where
// every stream has its goroutine and a stalled client blocks its write on
// the stream's flow-control window.
func TestStopWithStalledHTTP2Clients(t *testing.T) {
	const clients = 5
	cert, pool := selfSigned(t)
	var subscribed, unsubscribed atomic.Int64
	srv := newServer(server.TLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}),
		sse.WriteTimeout(time.Hour), sse.ShutdownGrace(3*time.Second),
		sse.OnSubscribe(func(*http.Request, []string) { subscribed.Add(1) }),
		sse.OnUnsubscribe(func(*http.Request, []string) { unsubscribed.Add(1) }))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "stoph2",
		Broker: ssebroker.NewBroker(ssebroker.MaxHistoryBytes(64<<20), ssebroker.HistoryBudget(64<<20))})
	data := []byte(strings.Repeat("s", 4<<10))
	for range 5000 { // 20 MiB: more than an HTTP/2 stream's window
		if err := srv.Publish(context.Background(), "big", &codec.Event{Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true,
		DisableCompression: true} // the replay's bytes as they are: it must fill the windows
	defer tr.CloseIdleConnections()
	for range clients {
		req, _ := http.NewRequest(http.MethodGet, "https://"+svc.Addr()+"/events?stream=big", nil)
		req.Header.Set("Last-Event-ID", "garbage")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 2 {
			t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
		}
		defer resp.Body.Close() // never read
	}
	ssetest.Eventually(t, "the stalled streams open", func() bool { return subscribed.Load() == clients })
	// Well into the replay: each stream has sent more than a client takes
	// without reading (the HTTP/2 client's window is 4 MiB), then stalls.
	ssetest.Eventually(t, "the replays under way", func() bool { return srv.Stats().Endpoint.BytesWritten >= clients*(3<<20) })
	start := time.Now()
	if err := svc.Stop(); err != nil {
		t.Fatalf("Stop with stalled HTTP/2 clients: %v", err)
	}
	t.Logf("Stop with %d stalled HTTP/2 clients took %v (ShutdownGrace 3s)", clients, time.Since(start).Round(time.Millisecond))
	if got := unsubscribed.Load(); got != clients {
		t.Fatalf("Stop returned with %d of %d OnUnsubscribe calls made", got, clients)
	}
}

// TestStopWhileHTTP2ClientsLeave stops the server while its HTTP/2
// clients go away: Stop cuts the writes of the streams it knows from
// goroutines of its own, and none may touch a stream whose handler has
// returned (the HTTP/2 ResponseWriter panics then).
func TestStopWhileHTTP2ClientsLeave(t *testing.T) {
	const clients, rounds = 100, 5
	cert, pool := selfSigned(t)
	for round := range rounds {
		srv := newServer(server.TLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}),
			sse.ShutdownGrace(2*time.Second))
		svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: fmt.Sprintf("leaveh2%d", round)})
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
		ctx, cancel := context.WithCancel(context.Background())
		for range clients {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+svc.Addr()+"/events?stream=leave", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
		}
		ssetest.Eventually(t, "the streams open", func() bool { return srv.Stats().Endpoint.Open == clients })
		go cancel() // the clients leave while the server stops
		if err := svc.Stop(); err != nil {
			t.Fatalf("round %d: Stop while HTTP/2 clients leave: %v", round, err)
		}
		tr.CloseIdleConnections()
	}
}
