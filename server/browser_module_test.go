package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestModuleServedBesideEvents: the server's listener serves the browser
// module beside the events path, cacheable for good, and revalidates by
// ETag; ModuleHandler serves the same bytes on the user's mux.
func TestModuleServedBesideEvents(t *testing.T) {
	srv := sse.NewServer(sse.EventsPath("/sse"))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{})
	url := svc.URL("/sse/" + sse.ModuleName)

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q, want text/javascript", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("Cache-Control = %q, want immutable for a year", cc)
	}
	if !strings.Contains(string(body), "export class SharedEventSource") || !strings.Contains(string(body), "sse-v1") {
		t.Errorf("body is not the module:\n%.200s", body)
	}
	if string(body) != string(sse.ModuleSource()) {
		t.Error("served bytes differ from ModuleSource")
	}

	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	again, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("GET with its ETag: %s, want 304", again.Status)
	}

	post, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s, want 405", post.Status)
	}

	rec := httptest.NewRecorder()
	sse.ModuleHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/anything.js", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != string(body) {
		t.Errorf("ModuleHandler: %d, %d bytes; want 200 and the module", rec.Code, rec.Body.Len())
	}
}
