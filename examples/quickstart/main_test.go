package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPage: "/" is a one-line page that follows the ticks through the
// server's browser module; any other path is not found.
func TestPage(t *testing.T) {
	rec := httptest.NewRecorder()
	page(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Count(body, "\n") != 1 || !strings.Contains(body, `"/events/sse-v1.js"`) || !strings.Contains(body, `"/events?stream=ticks"`) {
		t.Fatalf("GET /: %q, want one line opening /events?stream=ticks with the browser module", body)
	}
	rec = httptest.NewRecorder()
	page(rec, httptest.NewRequest(http.MethodGet, "/favicon.ico", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("GET /favicon.ico: %d, want 404", rec.Code)
	}
}
