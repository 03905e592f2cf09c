package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// flushOnly is a middleware's ResponseWriter that flushes but neither
// takes over the connection nor gives the writer underneath (no Hijack, no
// Unwrap): an HTTP/1.1 stream behind it cannot go to the shared writers.
type flushOnly struct{ w http.ResponseWriter }

func (f flushOnly) Header() http.Header         { return f.w.Header() }
func (f flushOnly) Write(b []byte) (int, error) { return f.w.Write(b) }
func (f flushOnly) WriteHeader(code int)        { f.w.WriteHeader(code) }
func (f flushOnly) Flush()                      { f.w.(http.Flusher).Flush() }

// An HTTP/1.1 stream that may be taken over but cannot be (its
// ResponseWriter hides the connection) keeps its goroutine and gets every
// event published after it opened, in order.
func TestStreamThatCannotBeTakenOverKeepsItsGoroutine(t *testing.T) {
	f := startFixture(t, func(h http.Handler) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(flushOnly{w}, r)
		}))
	})
	st := ssetest.OpenT(t, f.url("stream=news"), "")
	defer st.Close()
	if got := f.e.Stats(); got.Open != 1 || got.Shared != 0 {
		t.Fatalf("stats %+v: want 1 open stream, none shared", got)
	}
	for i := range 50 {
		f.publish(t, "news", fmt.Sprint(i))
	}
	for i := range 50 {
		if ev := st.Next(t); string(ev.Data) != fmt.Sprint(i) {
			t.Fatalf("event %d: %q", i, ev.Data)
		}
	}
}
