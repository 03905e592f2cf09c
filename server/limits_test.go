package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// testClient is the ClientAddress hook of these tests: the address is what
// the X-Test-Client header says, as a trusted proxy would set it.
func testClient(r *http.Request) string { return r.Header.Get("X-Test-Client") }

// openAs opens an events stream as client addr; it returns the stream or
// the refusal.
func openAs(t *testing.T, svc *ssetest.Service, addr string) (*ssetest.Stream, *ssetest.StatusError) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ssetest.EventsURL(svc.URL("/events"), "a"), nil)
	req.Header.Set("X-Test-Client", addr)
	s, err := ssetest.Open(context.Background(), &http.Client{Transport: headerTransport{req.Header}}, req.URL.String(), "")
	var se *ssetest.StatusError
	if errors.As(err, &se) {
		return nil, se
	}
	if err != nil {
		t.Fatalf("open as %s: %v", addr, err)
	}
	t.Cleanup(s.Close)
	return s, nil
}

// headerTransport adds h to every request, with keep-alives off.
type headerTransport struct{ h http.Header }

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.h {
		r.Header[k] = v
	}
	return (&http.Transport{DisableKeepAlives: true}).RoundTrip(r)
}

func wantRefused(t *testing.T, se *ssetest.StatusError, status int, what string) {
	t.Helper()
	if se == nil || se.Code != status {
		t.Fatalf("%s: %v, want %d", what, se, status)
	}
	if n, err := strconv.Atoi(se.Header.Get("Retry-After")); err != nil || n < 1 {
		t.Fatalf("%s: Retry-After %q", what, se.Header.Get("Retry-After"))
	}
}

// TestMaxConnectionsPerClient: past the limit one client address gets 429
// with Retry-After, counted; other clients are served, and a slot freed is
// usable again.
func TestMaxConnectionsPerClient(t *testing.T) {
	srv := newServer(sse.ClientAddress(testClient), sse.MaxConnectionsPerClient(2), sse.ConnectRate(-1, 0),
		sse.Heartbeat(50*time.Millisecond))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "perclient"})
	first, _ := openAs(t, svc, "198.51.100.1")
	openAs(t, svc, "198.51.100.1")
	_, se := openAs(t, svc, "198.51.100.1")
	wantRefused(t, se, http.StatusTooManyRequests, "third stream of one client")
	if _, se := openAs(t, svc, "198.51.100.2"); se != nil {
		t.Fatalf("another client refused: %v", se)
	}
	if got := srv.Stats().Endpoint.Refused[sse.ReasonClientLimit]; got != 1 {
		t.Fatalf("Refused[client_limit] = %d, want 1", got)
	}
	first.Close()
	ssetest.Eventually(t, "the slot freed", func() bool { return srv.Stats().Endpoint.Open == 2 })
	if _, se := openAs(t, svc, "198.51.100.1"); se != nil {
		t.Fatalf("client refused after one of its streams closed: %v", se)
	}
}

// TestConnectRate: a client connecting faster than the rate gets 429 with
// a Retry-After; other clients are not affected.
func TestConnectRate(t *testing.T) {
	srv := newServer(sse.ClientAddress(testClient), sse.ConnectRate(0.001, 2))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "rate"})
	for i := range 2 {
		if _, se := openAs(t, svc, "203.0.113.9"); se != nil {
			t.Fatalf("request %d within the burst refused: %v", i, se)
		}
	}
	_, se := openAs(t, svc, "203.0.113.9")
	wantRefused(t, se, http.StatusTooManyRequests, "request past the burst")
	if n, _ := strconv.Atoi(se.Header.Get("Retry-After")); n < 500 {
		t.Fatalf("Retry-After %d s, want the time until a token (1000 s at 0.001/s)", n)
	}
	if _, se := openAs(t, svc, "203.0.113.10"); se != nil {
		t.Fatalf("another client refused: %v", se)
	}
	if got := srv.Stats().Endpoint.Refused[sse.ReasonRate]; got != 1 {
		t.Fatalf("Refused[rate] = %d, want 1", got)
	}
}

// TestMaxConnectionsTotal: past MaxConnections every client gets 503 with
// Retry-After, counted as over_limit.
func TestMaxConnectionsTotal(t *testing.T) {
	srv := newServer(sse.ClientAddress(testClient), sse.MaxConnections(1))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "total"})
	openAs(t, svc, "192.0.2.1")
	_, se := openAs(t, svc, "192.0.2.2")
	wantRefused(t, se, http.StatusServiceUnavailable, "stream past MaxConnections")
	if got := srv.Stats().Endpoint.Refused[sse.ReasonOverLimit]; got != 1 {
		t.Fatalf("Refused[over_limit] = %d, want 1", got)
	}
}

// TestHTTPServerLimits: MaxHeaderBytes refuses larger headers (431), and
// ReadHeaderTimeout and IdleTimeout end connections that send nothing.
func TestHTTPServerLimits(t *testing.T) {
	srv := newServer(sse.MaxHeaderBytes(4<<10), sse.ReadHeaderTimeout(100*time.Millisecond), sse.IdleTimeout(100*time.Millisecond))
	if err := srv.Handle(srv.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "httplimits"})

	req, _ := http.NewRequest(http.MethodGet, svc.URL("/page"), nil)
	req.Header.Set("X-Big", strings.Repeat("b", 8<<10))
	resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("8 KiB header with MaxHeaderBytes(4 KiB): %d, want 431", resp.StatusCode)
	}

	// Half a request line, then nothing: the server hangs up.
	c := dial(t, svc.Addr())
	fmt.Fprint(c, "GET /page HTTP/1.1\r\nHost: x\r\n")
	waitClosed(t, c, c, "a connection that never finishes its headers")

	// A keep-alive connection after one request, then nothing.
	c = dial(t, svc.Addr())
	fmt.Fprint(c, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("request on the keep-alive connection: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	waitClosed(t, c, br, "an idle keep-alive connection")
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitClosed reads c (through r) until the server closes it, bounded by
// ssetest.Timeout.
func waitClosed(t *testing.T, c net.Conn, r io.Reader, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(ssetest.Timeout))
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s was not closed by the server", what)
	}
}
