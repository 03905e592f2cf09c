package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// flushOnly is most logging and metrics middleware's ResponseWriter: it
// embeds the writer underneath and passes Flush on, but has no Unwrap.
type flushOnly struct {
	http.ResponseWriter
	status int
}

func (f *flushOnly) WriteHeader(code int) { f.status = code; f.ResponseWriter.WriteHeader(code) }
func (f *flushOnly) Flush()               { f.ResponseWriter.(http.Flusher).Flush() }

// embedsOnly embeds the writer underneath, with neither Flush nor Unwrap.
type embedsOnly struct{ http.ResponseWriter }

// hidden holds the writer underneath in an unexported field and passes
// Flush on: nothing reaches the connection's deadlines.
type hidden struct{ w http.ResponseWriter }

func (h *hidden) Header() http.Header         { return h.w.Header() }
func (h *hidden) Write(b []byte) (int, error) { return h.w.Write(b) }
func (h *hidden) WriteHeader(code int)        { h.w.WriteHeader(code) }
func (h *hidden) Flush()                      { h.w.(http.Flusher).Flush() }

// hiddenNoFlush is hidden without Flush: it cannot flush at all.
type hiddenNoFlush struct{ w http.ResponseWriter }

func (h *hiddenNoFlush) Header() http.Header         { return h.w.Header() }
func (h *hiddenNoFlush) Write(b []byte) (int, error) { return h.w.Write(b) }
func (h *hiddenNoFlush) WriteHeader(code int)        { h.w.WriteHeader(code) }

// wrapped mounts h on a server of the user's own behind wrap.
func wrapped(t *testing.T, h http.Handler, wrap func(http.ResponseWriter) http.ResponseWriter) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(wrap(w), r)
	}))
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String()
}

// bigEventBehind publishes a small event, then one of 8 MiB, and returns
// the id of the small one: a client resuming from it stalls in its first
// write when it does not read.
func bigEventBehind(t *testing.T, srv *sse.Server, addr string) string {
	t.Helper()
	first := ssetest.OpenT(t, ssetest.EventsURL("http://"+addr+"/events", "big"), "")
	if err := srv.Publish(context.Background(), "big", &codec.Event{Data: []byte("small")}); err != nil {
		t.Fatal(err)
	}
	id := first.Next(t).ID
	first.Close()
	if err := srv.Publish(context.Background(), "big", &codec.Event{Data: []byte(strings.Repeat("s", 8<<20))}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestMountedBehindFlushOnlyWrapperCutsStalledClients: behind a wrapper
// with Flush but no Unwrap, a stalled client is cut after WriteTimeout,
// and Stop with a stalled client returns within a quarter of the grace
// plus a margin (the deadlines used to fail with ErrNotSupported,
// ignored: the client was never cut and Stop returned "context deadline
// exceeded" with the writer still blocked).
func TestMountedBehindFlushOnlyWrapperCutsStalledClients(t *testing.T) {
	flush := func(w http.ResponseWriter) http.ResponseWriter { return &flushOnly{ResponseWriter: w} }
	t.Run("WriteTimeout", func(t *testing.T) {
		t.Parallel()
		srv := newServer(sse.WriteTimeout(time.Second))
		ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "mountedcut",
			Broker: ssebroker.NewBroker(ssebroker.MaxHistoryBytes(64<<20), ssebroker.HistoryBudget(64<<20))})
		addr := wrapped(t, srv.EventsHandler(), flush)
		id := bigEventBehind(t, srv, addr)
		stalledGet(t, addr, "/events?stream=big", id)
		ssetest.Eventually(t, "the stalled stream open", func() bool { return srv.Stats().Endpoint.Accepted == 2 })
		start := time.Now()
		ssetest.Eventually(t, "the stalled stream cut", func() bool { return srv.Stats().Endpoint.Open == 0 })
		t.Logf("cut %v after it opened (WriteTimeout 1s)", time.Since(start).Round(time.Millisecond))
		if st := srv.Stats().Endpoint; st.WriteFailed != 1 {
			t.Fatalf("WriteFailed %d, want 1", st.WriteFailed)
		}
	})
	t.Run("Stop", func(t *testing.T) {
		t.Parallel()
		const grace = 4 * time.Second
		srv := newServer(sse.WriteTimeout(time.Hour), sse.ShutdownGrace(grace))
		svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "mountedstop",
			Broker: ssebroker.NewBroker(ssebroker.MaxHistoryBytes(64<<20), ssebroker.HistoryBudget(64<<20))})
		addr := wrapped(t, srv.EventsHandler(), flush)
		id := bigEventBehind(t, srv, addr)
		stalledGet(t, addr, "/events?stream=big", id)
		ssetest.Eventually(t, "the stalled stream open", func() bool { return srv.Stats().Endpoint.Accepted == 2 })
		time.Sleep(200 * time.Millisecond) // into its first write
		start := time.Now()
		err := svc.Stop()
		took := time.Since(start)
		t.Logf("Stop with a stalled mounted stream took %v (ShutdownGrace %v)", took.Round(time.Millisecond), grace)
		if err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if limit := grace/4 + 1500*time.Millisecond; took > limit {
			t.Fatalf("Stop took %v, want at most %v", took, limit)
		}
	})
}

// TestMountedBehindWrapperWithoutFlush: a wrapper that embeds the
// ResponseWriter without Flush still gets each event to the client at
// once (they used to sit in net/http's buffer until 16 KiB filled it);
// one that can neither flush nor be looked into is refused at once with
// 501 (ReasonNoFlush), logged once with its type.
func TestMountedBehindWrapperWithoutFlush(t *testing.T) {
	logs := newRecordingLogger()
	logs.level = logger.WarnLevel
	srv := newServer(server.WithLogger(logs))
	ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "noflush"})

	addr := wrapped(t, srv.EventsHandler(), func(w http.ResponseWriter) http.ResponseWriter { return embedsOnly{w} })
	s := ssetest.OpenT(t, ssetest.EventsURL("http://"+addr+"/events", "news"), "")
	ssetest.Eventually(t, "the stream open", func() bool { return srv.Stats().Endpoint.Open == 1 })
	for i := range 3 {
		if err := srv.Publish(context.Background(), "news", &codec.Event{Data: []byte("e")}); err != nil {
			t.Fatal(err)
		}
		got := make(chan *codec.Event, 1)
		go func() { got <- s.Next(t) }()
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d not flushed after 5s behind a wrapper without Flush", i)
		}
	}
	s.Close()

	addr = wrapped(t, srv.EventsHandler(), func(w http.ResponseWriter) http.ResponseWriter { return &hiddenNoFlush{w} })
	for range 2 {
		_, err := ssetest.Open(context.Background(), nil, ssetest.EventsURL("http://"+addr+"/events", "news"), "")
		var se *ssetest.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusNotImplemented {
			t.Fatalf("behind a wrapper that cannot flush: %v, want 501", err)
		}
	}
	if got := srv.Stats().Endpoint.Refused[sse.ReasonNoFlush]; got != 2 {
		t.Fatalf("refused %d as %s, want 2", got, sse.ReasonNoFlush)
	}
	if n := strings.Count(logs.Text(), "server_test.hiddenNoFlush"); n != 1 {
		t.Fatalf("the wrapper's type logged %d times, want once:\n%s", n, logs.Text())
	}
}

// TestMountedBehindOpaqueWrapperLogsOnce: a wrapper with Flush whose
// writer underneath cannot be reached (no Unwrap, no exported field)
// serves, and the lost write deadlines are logged once with its type.
func TestMountedBehindOpaqueWrapperLogsOnce(t *testing.T) {
	logs := newRecordingLogger()
	logs.level = logger.WarnLevel
	srv := newServer(server.WithLogger(logs))
	ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "opaque"})
	addr := wrapped(t, srv.EventsHandler(), func(w http.ResponseWriter) http.ResponseWriter { return &hidden{w} })
	for range 2 {
		s := ssetest.OpenT(t, ssetest.EventsURL("http://"+addr+"/events", "news"), "")
		defer s.Close()
	}
	ssetest.Eventually(t, "the streams open", func() bool { return srv.Stats().Endpoint.Open == 2 })
	if err := srv.Publish(context.Background(), "news", &codec.Event{Data: []byte("e")}); err != nil {
		t.Fatal(err)
	}
	text := logs.Text()
	if n := strings.Count(text, "server_test.hidden"); n != 1 || !strings.Contains(text, "deadline") {
		t.Fatalf("the wrapper's type logged %d times with what is lost, want once:\n%s", n, text)
	}
}

// TestRPCHandlerBehindFlushOnlyWrapperCutsStalledClients: the RPC
// handler behind a wrapper with Flush but no Unwrap cuts a client that
// stops reading after WriteTimeout (its Send used to block for good); one
// behind a wrapper that cannot flush is refused with 501.
func TestRPCHandlerBehindFlushOnlyWrapperCutsStalledClients(t *testing.T) {
	srv := newServer(sse.WriteTimeout(time.Second))
	if err := RegisterGreeterHandler(srv, &greeter{}); err != nil {
		t.Fatal(err)
	}
	ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "rpcwrapped", Broker: ssebroker.NewBroker()})
	addr := wrapped(t, srv.RPCHandler(), func(w http.ResponseWriter) http.ResponseWriter { return &flushOnly{ResponseWriter: w} })
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024) })
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /rpc/Greeter.Stream?name=%s&count=100000000 HTTP/1.1\r\nHost: x\r\n\r\n", strings.Repeat("x", 1000))
	ssetest.Eventually(t, "the stalled RPC stream open", func() bool { return srv.Stats().Endpoint.Accepted == 1 })
	start := time.Now()
	ssetest.Eventually(t, "the stalled RPC stream cut", func() bool { return srv.Stats().Endpoint.Open == 0 })
	t.Logf("cut %v after it opened (WriteTimeout 1s)", time.Since(start).Round(time.Millisecond))

	addr = wrapped(t, srv.RPCHandler(), func(w http.ResponseWriter) http.ResponseWriter { return &hiddenNoFlush{w} })
	_, err = ssetest.Open(context.Background(), nil, "http://"+addr+"/rpc/Greeter.Stream?name=a&count=2", "")
	var se *ssetest.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotImplemented {
		t.Fatalf("RPC stream behind a wrapper that cannot flush: %v, want 501", err)
	}
}

// TestMountedBehindOpaqueWrapperWithConnContext: behind a wrapper that
// hides the writer underneath, a server of the user's own with
// ConnContext set lets a stalled HTTP/1 stream still be cut after
// WriteTimeout, and nothing is lost to warn about.
func TestMountedBehindOpaqueWrapperWithConnContext(t *testing.T) {
	logs := newRecordingLogger()
	logs.level = logger.WarnLevel
	srv := newServer(server.WithLogger(logs), sse.WriteTimeout(time.Second))
	ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "connctx",
		Broker: ssebroker.NewBroker(ssebroker.MaxHistoryBytes(64<<20), ssebroker.HistoryBudget(64<<20))})
	h := srv.EventsHandler()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&hidden{w}, r)
	}))
	ts.Config.ConnContext = sse.ConnContext
	ts.Start()
	t.Cleanup(ts.Close)
	addr := ts.Listener.Addr().String()
	id := bigEventBehind(t, srv, addr)
	stalledGet(t, addr, "/events?stream=big", id)
	ssetest.Eventually(t, "the stalled stream open", func() bool { return srv.Stats().Endpoint.Accepted == 2 })
	ssetest.Eventually(t, "the stalled stream cut", func() bool { return srv.Stats().Endpoint.Open == 0 })
	if st := srv.Stats().Endpoint; st.WriteFailed != 1 {
		t.Fatalf("WriteFailed %d, want 1", st.WriteFailed)
	}
	if text := logs.Text(); strings.Contains(text, "hidden") {
		t.Fatalf("a wrapper whose deadlines are set through ConnContext logged:\n%s", text)
	}
}
