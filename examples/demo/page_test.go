package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// TestPageServed: the page and its assets are served beside /events.
func TestPageServed(t *testing.T) {
	n := startTestNode(t, config{})
	for path, want := range map[string]string{
		"/":          "<title>go-micro-sse demo</title>",
		"/app.js":    "new EventSource(",
		"/style.css": ".state",
	} {
		resp, err := http.Get(n.URL(path))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, %v, body lacks %q", path, resp.StatusCode, err, want)
		}
	}
}

// TestPublishEndpoint: POST /publish publishes through the go-micro broker
// to the events stream, byte for byte with its type; bad requests get 400.
func TestPublishEndpoint(t *testing.T) {
	n := startTestNode(t, config{})
	s := ssetest.OpenT(t, ssetest.EventsURL(n.URL("/events"), "post"), "")

	post := func(body string) int {
		t.Helper()
		resp, err := http.Post(n.URL("/publish"), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(`{"topic":"post","type":"chat","text":"two\nlines ✓"}`); got != http.StatusNoContent {
		t.Fatalf("POST /publish: %d, want 204", got)
	}
	ev := s.Next(t)
	if ev.Event != "chat" || string(ev.Data) != "two\nlines ✓" || ev.ID == "" {
		t.Fatalf("got event %+v (data %q)", ev, ev.Data)
	}
	for _, bad := range []string{
		`not json`,
		`{"type":"chat","text":"no topic"}`,
		`{"topic":"post","type":"chat\ndata: injected","text":"x"}`,
	} {
		if got := post(bad); got != http.StatusBadRequest {
			t.Errorf("POST /publish %s: %d, want 400", bad, got)
		}
	}
	if got := post(`{"topic":"post","text":"untyped"}`); got != http.StatusNoContent {
		t.Fatalf("POST /publish: %d, want 204", got)
	}
	ev = s.Next(t)
	if ev.Event != "" || string(ev.Data) != "untyped" {
		t.Fatalf("got event %+v (data %q), want the untyped one (the injected one refused)", ev, ev.Data)
	}
}

// TestMetricsEndpoint: GET /metrics is the SSE server's Prometheus
// collector: an open stream and a published event show in the scrape.
func TestMetricsEndpoint(t *testing.T) {
	n := startTestNode(t, config{})
	s := ssetest.OpenT(t, ssetest.EventsURL(n.URL("/events"), "post"), "")
	resp, err := http.Post(n.URL("/publish"), "application/json", strings.NewReader(`{"topic":"post","text":"counted"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.Next(t)

	resp, err = http.Get(n.URL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"sse_published_total 1\n",
		"sse_streams_opened_total 1\n",
		`sse_connections{protocol="http1",writer="shared"} 1` + "\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET /metrics lacks %q:\n%s", want, body)
		}
	}
}
