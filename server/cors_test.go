package server_test

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestCORSWildcardWithCredentialsRefused: "*" with credentials would let
// any site read a user's cookie-authenticated streams; Init and Start
// refuse it with a named error.
func TestCORSWildcardWithCredentialsRefused(t *testing.T) {
	s := newServer(sse.AllowedOrigins("*"), sse.AllowCredentials(),
		server.Broker(broker.NewMemoryBroker()), server.Registry(registry.NewMemoryRegistry()))
	if err := s.Start(); !errors.Is(err, sse.ErrWildcardCredentials) {
		if err == nil {
			s.Stop()
		}
		t.Fatalf("Start with AllowedOrigins(\"*\") and AllowCredentials: %v, want ErrWildcardCredentials", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop after refused Start: %v", err)
	}

	ok := newServer(sse.AllowedOrigins("https://app.example"))
	if err := ok.Init(sse.AllowCredentials()); err != nil {
		t.Fatalf("Init with a listed origin and credentials: %v", err)
	}
	if err := ok.Init(sse.AllowedOrigins("https://app.example", "*")); !errors.Is(err, sse.ErrWildcardCredentials) {
		t.Fatalf("Init adding \"*\" to credentials: %v, want ErrWildcardCredentials", err)
	}
}

// TestCORSPreflightFollowsFetch: a preflight is allowed only for an
// allowed origin, GET and allowed headers (compared without case), and
// varies on what it depends on.
func TestCORSPreflightFollowsFetch(t *testing.T) {
	srv := newServer(sse.AllowedOrigins("https://app.example"), sse.AllowCredentials())
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "cors"})
	preflight := func(origin, method, headers string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, svc.URL("/events?stream=a"), nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	resp := preflight("https://app.example", "GET", "last-event-id,Authorization")
	if resp.StatusCode != http.StatusNoContent ||
		resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "last-event-id, Authorization" ||
		resp.Header.Get("Access-Control-Max-Age") == "" {
		t.Errorf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	vary := resp.Header.Values("Vary")
	for _, v := range []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} {
		if !slices.Contains(vary, v) {
			t.Errorf("preflight Vary %q lacks %s", vary, v)
		}
	}
	for _, c := range []struct{ origin, method, headers string }{
		{"https://evil.example", "GET", ""},
		{"null", "GET", ""},
		{"https://app.example", "POST", ""},
		{"https://app.example", "GET", "Last-Event-ID, X-Forged"},
	} {
		resp := preflight(c.origin, c.method, c.headers)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" ||
			resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("preflight %+v: %d %v, want 403 without CORS headers", c, resp.StatusCode, resp.Header)
		}
	}
}
