package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// FuzzServeHTTP sends arbitrary methods, queries (rewind and snapshot
// included), Last-Event-IDs and origins: the answer is a 200 stream, a 204 preflight or a refusal with a
// reason, never a 500 and never a hang.
func FuzzServeHTTP(f *testing.F) {
	f.Add("GET", "stream=a", "", "")
	f.Add("GET", "stream=a&stream=b&lastEventId=x-1", "garbage", "https://app.example")
	f.Add("GET", "stream=%zz", "", "")
	f.Add("GET", "stream=a;b&stream=", "\x00", "null")
	f.Add("OPTIONS", "stream=a", "", "https://evil.example")
	f.Add("POST", "", "", "")
	f.Add("GET", "stream="+strings.Repeat("a", 300), "", "")
	f.Add("GET", "stream=1&stream=2&stream=3&stream=4&stream=5", "", "")
	f.Add("GET", "stream=a&rewind=5&snapshot=1", "", "")
	f.Add("GET", "stream=a&rewind=-3", "", "")
	f.Add("GET", "stream=a&rewind=99999999999999999999", "", "")
	f.Add("GET", "stream=a&snapshot=1", "other-1", "")
	snapshot := Snapshot(func(_ context.Context, topic string) ([]codec.Event, error) {
		return []codec.Event{{Event: "state", Data: []byte(topic)}}, nil
	})
	cfg := configFrom(optionsOf(AllowedOrigins("https://app.example"), MaxTopicsPerConnection(4), snapshot).Context)
	h := hub.New()
	defer h.Close()
	e := newEndpoint(h, cfg)
	defer e.Shutdown(context.Background())
	f.Fuzz(func(t *testing.T, method, query, lastID, origin string) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // an accepted stream ends at once: the client is gone
		r := (&http.Request{
			Method: method, URL: &url.URL{Path: "/events", RawQuery: query},
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Host: "x",
		}).WithContext(ctx)
		if lastID != "" {
			r.Header.Set("Last-Event-ID", lastID)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
			r.Header.Set("Access-Control-Request-Method", "GET")
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		switch code := w.Code; code {
		case 200, 204:
		case 400, 403, 404, 405:
			if strings.TrimSpace(w.Body.String()) == "" {
				t.Fatalf("%d without a reason", code)
			}
		default:
			t.Fatalf("%s ?%s: status %d: %q", method, query, code, w.Body.String())
		}
	})
}
