package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v4/server"
	"go.uber.org/goleak"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, append(ssetest.GoleakIgnores(), goleak.IgnoreCurrent(),
		// go-micro's global config, started lazily by go-micro itself.
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config/loader/memory.(*memory).Watch.func1"),
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config.(*config).run.func2"))...)
}

// fixture is an endpoint on its own hub behind an httptest server.
type fixture struct {
	hub *hub.Hub
	e   *endpoint
	srv *httptest.Server
}

// modes are the two write modes every stream test runs in.
var modes = []struct {
	name string
	opts []server.Option
}{
	{"shared", nil},
	{"goroutine", []server.Option{GoroutinePerStream()}},
}

func optionsOf(opts ...server.Option) *server.Options {
	o := &server.Options{}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

func newFixture(t testing.TB, opts ...server.Option) *fixture {
	t.Helper()
	return startFixture(t, func(h http.Handler) *httptest.Server { return httptest.NewServer(h) }, opts...)
}

func startFixture(t testing.TB, start func(http.Handler) *httptest.Server, opts ...server.Option) *fixture {
	t.Helper()
	cfg := configFrom(optionsOf(opts...).Context)
	h := hub.New(cfg.OwnHub...)
	e := newEndpoint(h, cfg)
	mux := http.NewServeMux()
	mux.Handle(cfg.Path, e)
	f := &fixture{hub: h, e: e, srv: start(mux)}
	t.Cleanup(func() {
		if err := e.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		f.srv.Close()
		h.Close()
	})
	return f
}

func (f *fixture) url(query string) string { return f.srv.URL + "/events?" + query }

func (f *fixture) publish(t testing.TB, topic, data string) string {
	t.Helper()
	id, err := f.hub.Publish(topic, &codec.Event{Data: []byte(data)})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return id
}

func get(t testing.TB, client *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	if client == nil {
		client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp, string(b)
}

func TestBadRequests(t *testing.T) {
	authorize := func(r *http.Request, topics []string) error {
		switch r.Header.Get("Authorization") {
		case "":
			return fmt.Errorf("no token: %w", ErrUnauthorized)
		case "reader":
			if topics[0] == "secret" {
				return fmt.Errorf("topic secret needs admin: %w", ErrForbidden)
			}
		case "broken":
			return errors.New("token store down")
		}
		return nil
	}
	f := newFixture(t, Authorize(authorize), MaxTopicsPerConnection(2), MaxTopicNameLength(8), OwnHub(ssebroker.ExplicitTopics()))
	if err := f.hub.CreateTopic("news"); err != nil {
		t.Fatal(err)
	}
	if err := f.hub.CreateTopic("secret"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, query, auth, lastID string
		status                            int
		reason, body                      string
	}{
		{"no stream", "GET", "", "reader", "", 400, ReasonNoStream, `missing "stream"`},
		{"other param only", "GET", "topic=news", "reader", "", 400, ReasonNoStream, `missing "stream"`},
		{"too many topics", "GET", "stream=a&stream=b&stream=c", "reader", "", 400, ReasonTooManyTopics, "too many topics: 3, at most 2"},
		{"empty topic", "GET", "stream=", "reader", "", 400, ReasonBadTopic, "empty topic name"},
		{"topic too long", "GET", "stream=abcdefghi", "reader", "", 400, ReasonBadTopic, "longer than 8 bytes"},
		{"topic not allowed", "GET", "stream=" + url.QueryEscape("a b"), "reader", "", 400, ReasonBadTopic, "does not match"},
		{"wildcard", "GET", "stream=news.*", "reader", "", 400, ReasonBadTopic, "does not match"},
		{"too many parameters", "GET", "stream=news" + strings.Repeat("&x=1", 10_001), "reader", "", 400, ReasonBadQuery, "query not usable"},
		{"unauthorized", "GET", "stream=news", "", "", 401, ReasonUnauthorized, "no token: unauthorized"},
		{"forbidden", "GET", "stream=secret", "reader", "", 403, ReasonForbidden, "topic secret needs admin"},
		{"hook error", "GET", "stream=news", "broken", "", 403, ReasonForbidden, "token store down"},
		{"unknown topic", "GET", "stream=nope", "reader", "", 404, ReasonUnknownTopic, "unknown topic"},
		{"post", "POST", "stream=news", "reader", "", 405, ReasonMethod, "method not allowed"},
		{"head", "HEAD", "stream=news", "reader", "", 405, ReasonMethod, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.e.Stats().Refused[c.reason]
			req, _ := http.NewRequest(c.method, f.url(c.query), nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			if c.lastID != "" {
				req.Header.Set("Last-Event-ID", c.lastID)
			}
			resp, body := get(t, nil, req)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, c.status, body)
			}
			if !strings.Contains(body, c.body) {
				t.Errorf("body %q does not give the reason %q", body, c.body)
			}
			if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("refusal has Content-Type %q", ct)
			}
			if got := f.e.Stats().Refused[c.reason]; got != before+1 {
				t.Errorf("Refused[%s] = %d, want %d", c.reason, got, before+1)
			}
		})
	}
	if st := f.e.Stats(); st.Accepted != 0 || st.Open != 0 {
		t.Errorf("stats after refusals: %+v", st)
	}
}

func TestConnectionLimit(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			f := newFixture(t, append(m.opts, MaxConnections(2), Retry(2500*time.Millisecond))...)
			a := ssetest.OpenT(t, f.url("stream=a"), "")
			ssetest.OpenT(t, f.url("stream=a"), "")
			req, _ := http.NewRequest("GET", f.url("stream=a"), nil)
			resp, body := get(t, nil, req)
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "3" || !strings.Contains(body, "too many connections") {
				t.Fatalf("over the limit: %d Retry-After %q body %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			if got := f.e.Stats().Refused[ReasonOverLimit]; got != 1 {
				t.Errorf("Refused[over_limit] = %d", got)
			}
			a.Close() // a place frees up once the server sees the client gone
			f.publish(t, "a", "wake")
			ssetest.Eventually(t, "a place to free up", func() bool {
				req, _ := http.NewRequest("GET", f.url("stream=a"), nil)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				s, err := ssetest.Open(ctx, nil, req.URL.String(), "")
				if err != nil {
					f.publish(t, "a", "wake")
					return false
				}
				s.Close()
				return true
			})
		})
	}
}

func TestStreamHeadersRetryAndEvents(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			custom := http.Header{"X-Custom": {"yes"}, "Content-Type": {"text/plain"}}
			var mu sync.Mutex
			var subs, unsubs [][]string
			f := newFixture(t, append(m.opts, Retry(1234*time.Millisecond), Headers(custom),
				OnSubscribe(func(r *http.Request, topics []string) { mu.Lock(); subs = append(subs, topics); mu.Unlock() }),
				OnUnsubscribe(func(r *http.Request, topics []string) { mu.Lock(); unsubs = append(unsubs, topics); mu.Unlock() }),
			)...)
			// A keep-alive client: one asking "Connection: close" is answered so by net/http.
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			s, err := ssetest.Open(context.Background(), &http.Client{Transport: tr}, f.url("stream=b&stream=a&stream=b"), "")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			h := s.Response.Header
			for k, want := range map[string]string{
				"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
				"X-Accel-Buffering": "no", "Connection": "keep-alive", "X-Custom": "yes",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if s.Response.ProtoMajor != 1 || len(s.Response.TransferEncoding) != 1 || s.Response.TransferEncoding[0] != "chunked" {
				t.Errorf("proto %s, transfer encoding %v", s.Response.Proto, s.Response.TransferEncoding)
			}
			id1 := f.publish(t, "a", "one")
			f.publish(t, "c", "not followed")
			id2 := f.publish(t, "b", "two\nlines")
			for _, want := range []struct{ id, data string }{{id1, "one"}, {id2, "two\nlines"}} {
				ev := s.Next(t)
				if ev.ID != want.id || string(ev.Data) != want.data {
					t.Fatalf("got %q %q, want %q %q", ev.ID, ev.Data, want.id, want.data)
				}
			}
			if s.Retry() != 1234*time.Millisecond {
				t.Errorf("retry %v, want 1.234s sent on open", s.Retry())
			}
			st := f.e.Stats()
			if st.Open != 1 || st.Accepted != 1 {
				t.Errorf("stats %+v", st)
			}
			if wantShared := m.opts == nil; (st.Shared == 1) != wantShared {
				t.Errorf("Shared = %d in mode %s", st.Shared, m.name)
			}
			s.Close()
			ssetest.Eventually(t, "the stream to end", func() bool {
				f.publish(t, "a", "probe") // a write reveals the closed client
				return f.e.Stats().Open == 0
			})
			mu.Lock()
			defer mu.Unlock()
			if len(subs) != 1 || len(unsubs) != 1 || strings.Join(subs[0], ",") != "a,b" || strings.Join(unsubs[0], ",") != "a,b" {
				t.Errorf("callbacks: subscribe %v, unsubscribe %v", subs, unsubs)
			}
		})
	}
}

// rawLines reads the lines of an events response body until pred accepts one.
func rawLines(t *testing.T, body io.Reader, pred func(string) bool) {
	t.Helper()
	done := make(chan struct{})
	var seen []string
	go func() {
		defer close(done)
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			seen = append(seen, sc.Text())
			if pred(sc.Text()) {
				return
			}
		}
	}()
	ssetest.Wait(t, done, "a line")
	if sc := bufio.NewScanner(strings.NewReader("")); sc == nil || len(seen) == 0 {
		t.Fatal("no line")
	}
	_ = seen
}

func TestHeartbeat(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			f := newFixture(t, append(m.opts, Heartbeat(20*time.Millisecond))...)
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(f.url("stream=a"))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			n := 0
			rawLines(t, resp.Body, func(l string) bool {
				if l == ": heartbeat" {
					n++
				}
				return n == 3
			})
			if n != 3 {
				t.Fatalf("stream ended after %d heartbeats", n)
			}
		})
	}
}

func TestResume(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			f := newFixture(t, m.opts...)
			var ids, data []string
			pub := func(topic, d string) {
				ids = append(ids, f.publish(t, topic, d))
				data = append(data, d)
			}
			for i := range 5 {
				pub([]string{"a", "b"}[i%2], fmt.Sprint("e", i))
			}
			// check reads exactly the events after ids[from-1], then a live one.
			check := func(s *ssetest.Stream, from int) {
				t.Helper()
				n := len(ids)
				pub("a", "live")
				for i := from; i <= n; i++ {
					ev := s.Next(t)
					if ev.ID != ids[i] || string(ev.Data) != data[i] {
						t.Fatalf("got %q %q, want %q %q", ev.ID, ev.Data, ids[i], data[i])
					}
				}
			}
			t.Run("header", func(t *testing.T) {
				check(ssetest.OpenT(t, f.url("stream=a&stream=b"), ids[1]), 2)
			})
			t.Run("query param", func(t *testing.T) {
				check(ssetest.OpenT(t, f.url("stream=a&stream=b&lastEventId="+url.QueryEscape(ids[3])), ""), 4)
			})
			t.Run("lost", func(t *testing.T) {
				s := ssetest.OpenT(t, f.url("stream=a&stream=b"), "garbage")
				ev := s.Next(t)
				if ev.Event != codec.ResetEventType || !strings.Contains(string(ev.Data), "garbage") {
					t.Fatalf("first event %+v, want %s", ev, codec.ResetEventType)
				}
				// Then whatever history is still held: all of it here.
				for i := range ids {
					if ev := s.Next(t); ev.ID != ids[i] {
						t.Fatalf("after reset: %q, want %q", ev.ID, ids[i])
					}
				}
			})
		})
	}
}

func TestHTTP2(t *testing.T) {
	f := startFixture(t, func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.EnableHTTP2 = true
		srv.StartTLS()
		return srv
	})
	client := f.srv.Client()
	s, err := ssetest.Open(context.Background(), client, f.url("stream=a"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Response.ProtoMajor != 2 {
		t.Fatalf("proto %s, want HTTP/2", s.Response.Proto)
	}
	if c := s.Response.Header.Get("Connection"); c != "" {
		t.Errorf("HTTP/2 response has Connection %q", c)
	}
	for i := range 3 {
		id := f.publish(t, "a", fmt.Sprint(i))
		if ev := s.Next(t); ev.ID != id {
			t.Fatalf("event %d: id %q, want %q", i, ev.ID, id)
		}
	}
	if st := f.e.Stats(); st.Open != 1 || st.Shared != 0 || st.HTTP2 != 1 {
		t.Errorf("stats %+v: one HTTP/2 stream, with its goroutine", st)
	}
	s.Close()
	ssetest.Eventually(t, "the HTTP/2 stream to end", func() bool { return f.e.Stats().HTTP2 == 0 })
}

func TestHTTP1OverTLSIsNotTakenOver(t *testing.T) {
	f := startFixture(t, func(h http.Handler) *httptest.Server { return httptest.NewTLSServer(h) })
	s, err := ssetest.Open(context.Background(), f.srv.Client(), f.url("stream=a"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := f.publish(t, "a", "x")
	if ev := s.Next(t); ev.ID != id || s.Response.ProtoMajor != 1 {
		t.Fatalf("got %q over %s", ev.ID, s.Response.Proto)
	}
	if st := f.e.Stats(); st.Shared != 0 {
		t.Errorf("a TLS stream was taken over: %+v", st)
	}
}

func TestCORS(t *testing.T) {
	f := newFixture(t, AllowedOrigins("https://app.example"), AllowCredentials())
	preflight := func(origin string) (*http.Response, string) {
		req, _ := http.NewRequest("OPTIONS", f.url("stream=a"), nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "last-event-id")
		return get(t, nil, req)
	}
	resp, _ := preflight("https://app.example")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "GET") ||
		resp.Header.Get("Access-Control-Allow-Headers") != "last-event-id" {
		t.Errorf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body := preflight("https://evil.example")
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(body, "origin not allowed") {
		t.Errorf("refused preflight: %d %v %q", resp.StatusCode, resp.Header, body)
	}

	for origin, want := range map[string]string{"https://app.example": "https://app.example", "https://evil.example": ""} {
		req, _ := http.NewRequest("GET", f.url("stream=a"), nil)
		req.Header.Set("Origin", origin)
		ctx, cancel := context.WithCancel(context.Background())
		req = req.WithContext(ctx)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want || resp.Header.Get("Vary") != "Origin" {
			t.Errorf("GET from %s: Allow-Origin %q (want %q), Vary %q", origin, got, want, resp.Header.Get("Vary"))
		}
		cancel()
		resp.Body.Close()
	}

	g := newFixture(t, AllowedOrigins("*"))
	req, _ := http.NewRequest("OPTIONS", g.url("stream=a"), nil)
	req.Header.Set("Origin", "https://any.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, _ = get(t, nil, req)
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("wildcard preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// stuckClient sends an events request and never reads the response.
func stuckClient(t *testing.T, addr, query string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	fmt.Fprintf(c, "GET /events?%s HTTP/1.1\r\nHost: x\r\n\r\n", query)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestStuckClientIsCutOffWithoutHoldingOthersBack(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			f := newFixture(t, append(m.opts, OwnHub(ssebroker.MaxHistoryEvents(8)), WriteTimeout(time.Second))...)
			stuck := stuckClient(t, f.srv.Listener.Addr().String(), "stream=a")
			ssetest.Eventually(t, "the stuck stream to open", func() bool { return f.e.Stats().Open == 1 })
			s := ssetest.OpenT(t, f.url("stream=a"), "")
			payload := strings.Repeat("x", 64<<10)
			ended := func() bool { st := f.e.Stats(); return st.CutOffSlow+st.WriteFailed > 0 }
			// Lockstep with the reading client: it gets every event while
			// the stuck one fills its socket, falls behind the history of 8
			// events and is cut off (in its own goroutine's mode, the write
			// deadline may end it first).
			for i := 0; i < 2000 && !ended(); i++ {
				id := f.publish(t, "a", payload)
				if ev := s.Next(t); ev.ID != id {
					t.Fatalf("reader got %q, want %q", ev.ID, id)
				}
			}
			if !ended() {
				t.Fatalf("stuck client not cut off: %+v", f.e.Stats())
			}
			ssetest.Eventually(t, "one open stream", func() bool { return f.e.Stats().Open == 1 })
			id := f.publish(t, "a", "after")
			if ev := s.Next(t); ev.ID != id {
				t.Fatalf("reader after the cut: %q, want %q", ev.ID, id)
			}
			_ = stuck
		})
	}
}

func TestShutdownEndsManyStreams(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			// A long grace: 1,000 streams each write their hint within a
			// quarter of it, also on a loaded machine under -race.
			f := newFixture(t, append(m.opts, Retry(7*time.Second), ShutdownGrace(20*time.Second))...)
			const n = 1000
			type client struct {
				c   net.Conn
				dec *codec.Decoder
			}
			clients := make([]client, n)
			for i := range clients {
				c, err := net.Dial("tcp", f.srv.Listener.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				fmt.Fprintf(c, "GET /events?stream=a HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("stream %d: %v %v", i, resp, err)
				}
				clients[i] = client{c, codec.NewDecoder(resp.Body)}
			}
			id := f.publish(t, "a", "last")
			for i, cl := range clients {
				if ev, err := cl.dec.Decode(); err != nil || ev.ID != id {
					t.Fatalf("stream %d: %+v %v", i, ev, err)
				}
			}
			if err := f.e.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			retries := map[time.Duration]int{}
			for i, cl := range clients {
				cl.c.SetReadDeadline(time.Now().Add(ssetest.Timeout))
				if ev, err := cl.dec.Decode(); err != io.EOF {
					t.Fatalf("stream %d: after shutdown %+v, %v; want the end of the body", i, ev, err)
				}
				// Retry plus a part of the jitter window (10s by default).
				if r := cl.dec.Retry(); r < 7*time.Second || r > 17*time.Second {
					t.Fatalf("stream %d: retry %v after shutdown, want 7s to 17s", i, r)
				}
				retries[cl.dec.Retry()]++
			}
			// Spread: at most a few of the 1,000 clients come back in
			// the same millisecond (all did before the jitter).
			for r, k := range retries {
				if k > 20 {
					t.Fatalf("%d of %d streams got retry %v: not spread", k, n, r)
				}
			}
			if st := f.e.Stats(); st.Open != 0 || st.Shared != 0 || st.Accepted != n {
				t.Errorf("after Shutdown: %+v", st)
			}
			if err := f.e.Shutdown(context.Background()); err != nil {
				t.Errorf("second Shutdown: %v", err)
			}
			req, _ := http.NewRequest("GET", f.url("stream=a"), nil)
			resp, body := get(t, nil, req)
			// Refused as its streams were ended: Retry plus a part of the jitter.
			if after, _ := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != 503 || after < 7 || after > 17 {
				t.Errorf("after Shutdown: %d %q Retry-After %q, want 503 and 7 to 17", resp.StatusCode, body, resp.Header.Get("Retry-After"))
			}
		})
	}
}

func TestHubClosedEndsStreams(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			f := newFixture(t, m.opts...)
			s := ssetest.OpenT(t, f.url("stream=a"), "")
			id := f.publish(t, "a", "x")
			if ev := s.Next(t); ev.ID != id {
				t.Fatal(ev.ID)
			}
			f.hub.Close()
			if err := s.WaitEnd(t); !ssetest.IsEnd(err) {
				t.Fatalf("ended with %v", err)
			}
			ssetest.Eventually(t, "no open stream", func() bool { return f.e.Stats().Open == 0 })
			req, _ := http.NewRequest("GET", f.url("stream=a"), nil)
			if resp, body := get(t, nil, req); resp.StatusCode != 503 {
				t.Errorf("closed hub: %d %q", resp.StatusCode, body)
			}
		})
	}
}

func TestHTTP10IsNotTakenOver(t *testing.T) {
	f := newFixture(t)
	c, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /events?stream=a HTTP/1.0\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(resp.TransferEncoding) != 0 {
		t.Fatalf("HTTP/1.0: %d, transfer encoding %v", resp.StatusCode, resp.TransferEncoding)
	}
	dec := codec.NewDecoder(resp.Body)
	id := f.publish(t, "a", "for 1.0")
	ev, err := dec.Decode()
	if err != nil || ev.ID != id || string(ev.Data) != "for 1.0" {
		t.Fatalf("HTTP/1.0 event %+v, %v", ev, err)
	}
	if st := f.e.Stats(); st.Shared != 0 {
		t.Errorf("an HTTP/1.0 stream was taken over: %+v", st)
	}
}

var _ = tls.VersionTLS12

func TestClientGoneEndsStreamWithoutWrites(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			// The shared writers' sweep peeks before it writes a heartbeat, so
			// a client that left is found without a failed write; an own
			// goroutine learns it from the request's context.
			f := newFixture(t, append(m.opts, Heartbeat(200*time.Millisecond), MaxConnections(1))...)
			before := f.e.Stats()
			c := dialEvents(t, f.srv.Listener.Addr().String(), "stream=a")
			ssetest.Eventually(t, "the stream to open", func() bool { return f.e.Stats().Open == 1 })
			c.Close()
			ssetest.Eventually(t, "the stream to end", func() bool { return f.e.Stats().Open == 0 })
			st := f.e.Stats()
			if st.WriteFailed != before.WriteFailed || st.CutOffSlow != 0 {
				t.Errorf("a client that left is counted as a failure: %+v", st)
			}
			ssetest.OpenT(t, f.url("stream=a"), "") // its place is free
		})
	}
}

func TestBase64DataAndCustomParams(t *testing.T) {
	f := newFixture(t, OwnHub(ssebroker.Base64Data()), EventsPath("/sse"), StreamParam("topic"), LastEventIDParam("since"))
	first := f.publish(t, "bin", "skipped")
	base := f.srv.URL + "/sse?topic=bin&since=" + url.QueryEscape(first)
	s := ssetest.OpenT(t, base, "")
	id, err := f.hub.Publish("bin", &codec.Event{Data: []byte{0xff, 0x00, 'a'}})
	if err != nil {
		t.Fatal(err)
	}
	if ev := s.Next(t); ev.ID != id || string(ev.Data) != "/wBh" {
		t.Fatalf("got %q %q, want %q base64 /wBh", ev.ID, ev.Data, id)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/sse?stream=bin", nil)
	if resp, body := get(t, nil, req); resp.StatusCode != 400 || !strings.Contains(body, `missing "topic"`) {
		t.Errorf("old parameter name: %d %q", resp.StatusCode, body)
	}
}
