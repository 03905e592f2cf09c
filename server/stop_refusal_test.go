package server_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestStoppingServerRefusesWithAJitteredRetryAfter: while Stop waits for
// its streams (an OnUnsubscribe that takes its time holds it), a new stream is refused with 503
// (unavailable) and a Retry-After of Retry plus a random part of
// ShutdownJitter, like the last retry: of the streams it ends, so that the
// clients it turns away do not all come back in the same instant.
func TestStoppingServerRefusesWithAJitteredRetryAfter(t *testing.T) {
	var stopping atomic.Bool
	srv := newServer(sse.MaxConnectionsPerClient(-1), sse.ConnectRate(-1, 0),
		sse.OnUnsubscribe(func(*http.Request, []string) {
			if stopping.Load() {
				time.Sleep(1500 * time.Millisecond) // Stop waits for it
			}
		}))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "stop"})
	held := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "news"), "")
	defer held.Close()
	url := ssetest.EventsURL(svc.URL("/events"), "news")

	stopped := make(chan struct{})
	stopping.Store(true)
	go func() {
		defer close(stopped)
		_ = svc.Stop()
	}()
	seen := map[int]bool{}
	for len(seen) < 2 {
		_, err := ssetest.Open(context.Background(), nil, url, "")
		var refused *ssetest.StatusError
		if !errors.As(err, &refused) {
			select {
			case <-stopped:
				t.Fatalf("Stop returned; Retry-After values seen: %v", seen)
			default:
			}
			time.Sleep(5 * time.Millisecond) // Stop has not begun, or the stream opened (it ends at once)
			continue
		}
		if refused.Code != http.StatusServiceUnavailable || refused.Body == "" {
			t.Fatalf("refused with %d %q, want 503", refused.Code, refused.Body)
		}
		after, err := strconv.Atoi(refused.Header.Get("Retry-After"))
		if err != nil || after < int(sse.DefaultRetry/time.Second) || after > int((sse.DefaultRetry+sse.DefaultShutdownJitter)/time.Second) {
			t.Fatalf("Retry-After %q, want Retry to Retry + ShutdownJitter in seconds", refused.Header.Get("Retry-After"))
		}
		seen[after] = true // jittered over 10 s, two values come within a few refusals
	}
	if got := srv.Stats().Endpoint.Refused[sse.ReasonUnavailable]; got < 2 {
		t.Fatalf("%d refusals counted as unavailable, want 2 or more", got)
	}
	<-stopped
}
