package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go-micro.dev/v4"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// statusRecorder is the usual logging middleware's ResponseWriter: it
// records the status and gives the writer underneath through Unwrap, so
// http.ResponseController still flushes and takes over the connection.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware tags every answer and counts the requests it let through.
func middleware(seen *atomic.Int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		w.Header().Set("X-Middleware", "yes")
		next.ServeHTTP(&statusRecorder{ResponseWriter: w}, r)
	})
}

func TestHandlersOnOwnMuxBehindMiddleware(t *testing.T) {
	srv := newServer()
	if err := RegisterGreeterHandler(srv, &greeter{}); err != nil {
		t.Fatal(err)
	}
	var seen atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("/app/events", middleware(&seen, srv.EventsHandler()))
	mux.Handle("/app/rpc/", middleware(&seen, srv.RPCHandler()))
	mux.Handle("/all/", http.StripPrefix("/all", middleware(&seen, srv.HTTPHandler())))
	ts := httptest.NewServer(mux)
	defer ts.Close()

	// Before Start: 503 with Retry-After, never a hang.
	resp, err := http.Get(ts.URL + "/app/events?stream=news")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("before Start: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "mounted", Broker: ssebroker.NewBroker()})
	st := ssetest.OpenT(t, ts.URL+"/app/events?stream=news", "")
	if st.Response.Header.Get("X-Middleware") != "yes" {
		t.Fatalf("the stream did not pass the middleware: %v", st.Response.Header)
	}
	// Published through the go-micro broker by the service's client.
	type news struct {
		Title string `json:"title"`
	}
	if err := micro.NewEvent("news", svc.Client()).Publish(context.Background(), &news{Title: "mounted"}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if ev := st.Next(t); string(ev.Data) != `{"title":"mounted"}` || ev.ID == "" {
		t.Fatalf("event %+v (data %q)", ev, ev.Data)
	}

	// The RPC endpoints under any prefix, and the whole server's routing.
	for path, want := range map[string]string{
		"/app/rpc/Greeter.Call?name=mux": `{"msg":"hello mux"}`,
		"/all/rpc/Greeter.Call?name=all": `{"msg":"hello all"}`,
		"/all/other":                     "404 page not found\n", // no http.Handler mounted
	} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != want || resp.Header.Get("X-Middleware") != "yes" {
			t.Errorf("GET %s = %d %q, want %q", path, resp.StatusCode, body, want)
		}
	}
	hs := ssetest.OpenT(t, ts.URL+"/all/events?stream=news&stream=more", "")
	if err := micro.NewEvent("more", svc.Client()).Publish(context.Background(), &news{Title: "via HTTPHandler"}); err != nil {
		t.Fatal(err)
	}
	if ev := hs.Next(t); !strings.Contains(string(ev.Data), "via HTTPHandler") {
		t.Fatalf("HTTPHandler event %+v", ev)
	}

	// Stop ends the streams served on the user's mux, then 503 again.
	if err := svc.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := st.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("stream after Stop: %v", err)
	}
	if err := hs.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("HTTPHandler stream after Stop: %v", err)
	}
	_, err = ssetest.Open(context.Background(), nil, ts.URL+"/app/events?stream=news", "")
	var se *ssetest.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable {
		t.Fatalf("after Stop: %v, want 503", err)
	}
	if seen.Load() < 6 {
		t.Fatalf("middleware saw %d requests", seen.Load())
	}
}
