package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// rawStream is an event stream read over a raw TCP connection, so that a
// test sees every byte the server sends (chunking removed by net/http's
// response reader) and bounds every read by a deadline.
type rawStream struct {
	conn net.Conn
	body io.Reader
}

// openRaw sends req (a whole HTTP/1.1 request) to addr and reads the
// response head; the body is left to read.
func openRaw(t testing.TB, addr, req, method string) (*rawStream, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	// Close with a reset: thousands of iterations leave no TIME_WAIT.
	conn.(*net.TCPConn).SetLinger(0)
	conn.SetDeadline(time.Now().Add(ssetest.Timeout))
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		conn.Close()
		t.Fatalf("no answer to %q: %v", req, err)
	}
	return &rawStream{conn: conn, body: resp.Body}, resp
}

// expect reads exactly want from the stream and fails on anything else.
func (s *rawStream) expect(t testing.TB, want string) {
	t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(ssetest.Timeout))
	got := make([]byte, len(want))
	n, err := io.ReadFull(s.body, got)
	if err != nil || string(got) != want {
		t.Fatalf("stream read %q (%v), want exactly %q", got[:n], err, want)
	}
}

// fuzzRequest builds a complete HTTP/1.1 request from fuzzed parts: CR and
// LF are removed from the request line and each header, so that the
// request always ends (the server must answer it), and no body is
// announced.
func fuzzRequest(method, path, query, lastID, headers string) string {
	clean := func(s string) string { return strings.NewReplacer("\r", "", "\n", "").Replace(s) }
	method, path = clean(method), clean(path)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", method, path)
	if query != "" {
		b.WriteString("?" + clean(query))
	}
	b.WriteString(" HTTP/1.1\r\nHost: fuzz\r\n")
	if lastID != "" {
		b.WriteString("Last-Event-ID: " + clean(lastID) + "\r\n")
	}
	for _, line := range strings.Split(headers, "\n") {
		line = clean(line)
		name, _, ok := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-length", "transfer-encoding", "expect", "host":
			continue
		}
		if ok {
			b.WriteString(line + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// FuzzEventsEndpoint sends arbitrary paths, queries, Last-Event-IDs and
// headers to a running server, over TCP, while a watcher client follows
// the topic "watch". Every request is answered (never a hang) with a
// stream, a preflight or a refusal with a reason, never a 5xx but a 503
// with Retry-After; after each one the watcher has received exactly the
// one event published for it, byte for byte (nothing injected into
// another client's stream), and the streams, connections and goroutines
// of the request are gone (nothing leaks).
func FuzzEventsEndpoint(f *testing.F) {
	for _, seed := range [][5]string{
		{"GET", "/events", "stream=a", "", ""},
		{"GET", "/events", "stream=watch", "", "Accept: text/event-stream"},
		{"GET", "/events", "stream=a&stream=b&lastEventId=x-1", "garbage", "Origin: https://app.example"},
		{"GET", "/events", "stream=a", "\x00\xff", ""},
		{"GET", "/events", "stream=%zz&stream=", "", ""},
		{"GET", "/events", "stream=a;b", strings.Repeat("9", 2000), ""},
		{"GET", "/events", "stream=secret", "", ""},
		{"GET", "/events", "stream=" + strings.Repeat("a", 300), "", ""},
		{"GET", "/events", strings.Repeat("stream=t&", 20), "", ""},
		{"GET", "/events", strings.Repeat("x&", 10001), "", ""},
		{"OPTIONS", "/events", "stream=a", "", "Origin: https://app.example\nAccess-Control-Request-Method: GET\nAccess-Control-Request-Headers: last-event-id"},
		{"OPTIONS", "/events", "", "", "Origin: https://evil.example\nAccess-Control-Request-Method: DELETE"},
		{"POST", "/events", "stream=a", "", ""},
		{"HEAD", "/events", "stream=a", "", ""},
		{"GET", "/", "", "", ""},
		{"GET", "/events/../events", "stream=a", "", ""},
		{"GET", "//events", "stream=a", "", "X-Forwarded-For: 203.0.113.9"},
		{"BREW", "*", "", "", ""},
		{"GET", "/events", "stream=a", "", "Connection: Upgrade\nUpgrade: h2c\nHTTP2-Settings: AAMAAABkAAQAAP__"},
		{"GET", "/events", "stream=a", "", "Cookie: " + strings.Repeat("c", 70000)},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}

	srv := sse.NewServer(
		sse.Heartbeat(time.Hour), // the watcher reads only what is published
		sse.AllowedOrigins("https://app.example"),
		sse.MaxTopicsPerConnection(8),
		sse.ClientAddress(func(r *http.Request) string { return r.Header.Get("X-Forwarded-For") }),
		sse.Authorize(func(_ *http.Request, topics []string) error {
			for _, t := range topics {
				if t == "secret" {
					return sse.ErrForbidden
				}
			}
			return nil
		}),
		server.WithLogger(newRecordingLogger()), // keeps go-micro's lines out of the output
	)
	svc := ssetest.StartService(f, srv, ssetest.ServiceOptions{Name: "fuzz", Broker: ssebroker.NewBroker(ssebroker.MaxHistoryEvents(4))})
	addr := svc.Addr()
	watcher, resp := openRaw(f, addr, "GET /events?stream=watch HTTP/1.1\r\nHost: fuzz\r\n\r\n", "GET")
	f.Cleanup(func() { watcher.conn.Close() })
	if resp.StatusCode != http.StatusOK {
		f.Fatalf("watcher: status %d", resp.StatusCode)
	}
	watcher.expect(f, "retry: 3000\n\n")
	ssetest.Eventually(f, "the watcher taken over", func() bool { return srv.Stats().Endpoint.Shared == 1 })
	// The shared writers start with their first stream and then run: start
	// them all, so that the goroutines of an iteration can be counted.
	for range runtime.GOMAXPROCS(0) {
		s, _ := openRaw(f, addr, "GET /events?stream=warm HTTP/1.1\r\nHost: fuzz\r\n\r\n", "GET")
		s.expect(f, "retry: 3000\n\n")
		ssetest.Eventually(f, "the stream taken over", func() bool { return srv.Stats().Endpoint.Shared == 2 })
		s.conn.Close()
		ssetest.Eventually(f, "the stream to end", func() bool {
			_ = srv.TryPublish("warm", &codec.Event{Data: []byte("x")})
			return srv.Stats().Endpoint.Open == 1
		})
	}
	seq := 0

	f.Fuzz(func(t *testing.T, method, path, query, lastID, headers string) {
		req := fuzzRequest(method, path, query, lastID, headers)
		goroutines := runtime.NumGoroutine()
		before := goroutineStacks()
		defer func() {
			if t.Failed() { // say what is left
				for stack, n := range goroutineStacks() {
					if n > before[stack] {
						t.Logf("%d new goroutine(s): %s", n-before[stack], stack)
					}
				}
				t.Logf("stats: %+v", srv.Stats())
			}
		}()
		s, resp := openRaw(t, addr, req, method)
		switch code := resp.StatusCode; {
		case code == http.StatusOK && resp.Header.Get("Content-Type") == "text/event-stream; charset=utf-8":
			// A stream starts with the retry frame.
			s.expect(t, "retry: 3000\n\n")
		case code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests:
			if resp.Header.Get("Retry-After") == "" {
				t.Fatalf("%d without Retry-After for %q", code, req)
			}
		case code >= 500 && code != http.StatusHTTPVersionNotSupported && code != http.StatusNotImplemented:
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			t.Fatalf("status %d (%q) for %q", code, b, req)
		case code >= 400 && method != http.MethodHead:
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			if len(bytes.TrimSpace(b)) == 0 {
				t.Fatalf("status %d without a reason for %q", code, req)
			}
		}
		s.conn.Close()

		// The watcher gets exactly its event, nothing else.
		seq++
		data := fmt.Sprintf("w%d", seq)
		if err := srv.TryPublish("watch", &codec.Event{Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
		watcher.expectEvent(t, data)

		// The stream (if any) is found gone at its next write: publish to
		// every other topic the request could have named.
		if q, err := url.ParseQuery(query); err == nil {
			for _, topic := range q["stream"] {
				if topic != "watch" {
					_ = srv.TryPublish(topic, &codec.Event{Data: []byte("x")})
				}
			}
		}
		ssetest.Eventually(t, "the request's stream and goroutines to end", func() bool {
			st := srv.Stats().Endpoint
			return st.Open == 1 && st.Shared == 1 && runtime.NumGoroutine() <= goroutines
		})
	})
}

// hubID is the form of the ids the hub gives: epoch, dash, sequence.
var hubID = regexp.MustCompile(`^[0-9a-z]+-[0-9a-z]+$`)

// expectEvent reads the frame of an event with data published to the
// watcher: "id: <id>\ndata: <data>\n\n", and nothing more.
func (s *rawStream) expectEvent(t testing.TB, data string) {
	t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(ssetest.Timeout))
	s.expect(t, "id: ")
	br := bufio.NewReader(io.LimitReader(s.body, 64))
	id, err := br.ReadString('\n')
	if err != nil || !hubID.MatchString(strings.TrimSuffix(id, "\n")) {
		t.Fatalf("watcher: id line %q (%v)", id, err)
	}
	rest := "data: " + data + "\n\n"
	got := make([]byte, len(rest))
	if n, err := io.ReadFull(br, got); err != nil || string(got) != rest {
		t.Fatalf("watcher: after id %q read %q (%v), want exactly %q", id, got[:n], err, rest)
	}
	if br.Buffered() > 0 {
		b, _ := br.Peek(br.Buffered())
		t.Fatalf("watcher: unexpected bytes after its event: %q", b)
	}
}

// goroutineStacks counts the goroutines by their stack of functions.
func goroutineStacks() map[string]int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	m := map[string]int{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		lines := strings.Split(g, "\n")
		var funcs []string
		for i := 1; i < len(lines); i += 2 {
			funcs = append(funcs, lines[i])
		}
		m[strings.Join(funcs, " | ")]++
	}
	return m
}
