package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/transport"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// newServer is an SSE server on loopback with its own transport (so that
// TLSConfig never touches go-micro's global one) and opts.
func newServer(opts ...server.Option) *sse.Server {
	return sse.NewServer(append([]server.Option{
		server.Transport(transport.NewHTTPTransport()),
		server.Address("127.0.0.1:0"),
	}, opts...)...)
}

func TestStopWithoutStartAndTwice(t *testing.T) {
	s := newServer(server.Broker(broker.NewMemoryBroker()), server.Registry(registry.NewMemoryRegistry()))
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop without Start: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if got := s.Options().Address; got != "127.0.0.1:0" {
		t.Fatalf("Address after Stop = %q, want the configured one back", got)
	}
	// And it starts again, on a fresh listener.
	if err := s.Start(); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestString(t *testing.T) {
	if got := newServer().String(); got != "sse" {
		t.Fatalf("String() = %q", got)
	}
}

func TestStartFailsOnBusyAddressAndUndoes(t *testing.T) {
	a := newServer(server.Broker(broker.NewMemoryBroker()), server.Registry(registry.NewMemoryRegistry()))
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	b := newServer(server.Address(a.Options().Address), server.Broker(broker.NewMemoryBroker()), server.Registry(registry.NewMemoryRegistry()))
	if err := b.Start(); err == nil {
		b.Stop()
		t.Fatal("Start on a busy address succeeded")
	}
	if err := b.Stop(); err != nil {
		t.Fatalf("Stop after failed Start: %v", err)
	}
}

func TestHandleMountsHTTPHandlerAndRefusesOthers(t *testing.T) {
	s := newServer()
	type rpcHandler struct{}
	if err := s.Handle(s.NewHandler(&rpcHandler{})); !errors.Is(err, sse.ErrInvalidHandler) {
		t.Fatalf("Handle(struct without methods) = %v, want ErrInvalidHandler", err)
	}
	if err := s.Handle(s.NewHandler(nil)); !errors.Is(err, sse.ErrNotHTTPHandler) {
		t.Fatalf("Handle(nil) = %v, want ErrNotHTTPHandler", err)
	}
	var nilMux *http.ServeMux
	if err := s.Handle(s.NewHandler(nilMux)); !errors.Is(err, sse.ErrNotHTTPHandler) {
		t.Fatalf("Handle(nil *ServeMux) = %v, want ErrNotHTTPHandler", err)
	}
	if err := s.Handle(nil); !errors.Is(err, sse.ErrNotHTTPHandler) {
		t.Fatalf("Handle(nil Handler) = %v, want ErrNotHTTPHandler", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	if err := s.Handle(s.NewHandler(mux)); err != nil {
		t.Fatalf("Handle(mux): %v", err)
	}
	if err := s.Handle(s.NewHandler(http.NotFoundHandler())); !errors.Is(err, sse.ErrHandlerExists) {
		t.Fatalf("second Handle = %v, want ErrHandlerExists", err)
	}

	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{})
	resp, err := http.Get(svc.URL("/health"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("GET /health = %d %q", resp.StatusCode, body)
	}
	// The events path is the endpoint's, beside the handler.
	st := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "a"), "")
	if err := s.TryPublish("a", &codec.Event{Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if ev := st.Next(t); string(ev.Data) != "x" {
		t.Fatalf("event = %+v", ev)
	}
	st.Close()
	http.DefaultClient.CloseIdleConnections()
}

func TestNotFoundWithoutHandler(t *testing.T) {
	s := newServer()
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{})
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(svc.URL("/nothing"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", resp.StatusCode)
	}
}

// TestStopWithOpenStreams opens 1,000 streams (2,000 fds in this process,
// under the 20,000 limit), stops the service, and checks that Stop returns
// within the shutdown grace period, every client was ended cleanly (after a
// retry hint) and, through TestMain's goleak, that nothing is left running.
func TestStopWithOpenStreams(t *testing.T) {
	const streams = 1000
	grace := 30 * time.Second
	s := newServer(sse.ShutdownGrace(grace))
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{})
	url := ssetest.EventsURL(svc.URL("/events"), "load")

	open := make([]*ssetest.Stream, streams)
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	sem := make(chan struct{}, 50)
	for i := range open {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			st, err := ssetest.Open(context.Background(), nil, url, "")
			if err != nil {
				errs <- fmt.Errorf("stream %d: %w", i, err)
				return
			}
			open[i] = st
		}()
	}
	wg.Wait()
	close(errs)
	defer func() {
		for _, st := range open {
			if st != nil {
				st.Close()
			}
		}
	}()
	for err := range errs {
		t.Fatal(err)
	}
	ssetest.Eventually(t, "1,000 streams open", func() bool { return s.Stats().Endpoint.Open == streams })
	if err := s.TryPublish("load", &codec.Event{Data: []byte("before stop")}); err != nil {
		t.Fatal(err)
	}
	for _, st := range open {
		if ev := st.Next(t); string(ev.Data) != "before stop" {
			t.Fatalf("event = %+v", ev)
		}
	}

	start := time.Now()
	if err := svc.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	took := time.Since(start)
	if took > grace {
		t.Fatalf("Stop took %v, longer than the grace period %v", took, grace)
	}
	t.Logf("Stop with %d open streams took %v", streams, took)
	for i, st := range open {
		if err := st.WaitEnd(t); !ssetest.IsEnd(err) {
			t.Fatalf("stream %d ended with %v", i, err)
		}
		if st.Retry() <= 0 {
			t.Fatalf("stream %d got no retry hint", i)
		}
	}
}
