package main

import (
	"context"
	_ "embed" // indexHTML
	"fmt"
	"net/http"
	"sync"
	"time"

	"go-micro.dev/v4"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

//go:embed static/index.html
var indexHTML []byte

// config is what a node is made of.
type config struct {
	Addr        string        // address of the page and /events
	Tick        time.Duration // interval of the published entries; 0: none
	NodeModules string        // where npm ci put htmx and htmx-ext-sse
	SSE         []server.Option
}

// node is one running example: a go-micro service with the SSE server and
// the SSE broker, its page mounted beside /events, and the feed publishing
// through the service's own client.
type node struct {
	srv    *sse.Server
	feed   *feed
	cancel context.CancelFunc // ends Run and the ticker
	done   chan struct{}      // closed when Run returned
	ticker sync.WaitGroup
	err    error // Run's
}

// startTimeout bounds how long the service may take to start or stop.
const startTimeout = 30 * time.Second

// startNode builds and starts a node; it returns once it serves.
func startNode(c config) (*node, error) {
	srv := sse.NewServer(append([]server.Option{server.Name("htmx"), server.Address(c.Addr)}, c.SSE...)...)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(indexHTML)
	})
	serveScripts(mux, c.NodeModules)
	if err := srv.Handle(srv.NewHandler(mux)); err != nil {
		return nil, fmt.Errorf("htmx: mounting the page: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	svc := micro.NewService(
		micro.Server(srv), // any order of Server, Broker, Registry (README: Wiring)
		micro.Client(client.NewClient()),
		micro.Broker(ssebroker.NewBroker()),
		micro.Registry(registry.NewMemoryRegistry()), // never go-micro's default mDNS
		micro.HandleSignal(false),                    // main stops the node
		micro.Context(ctx),
		micro.AfterStart(func() error { close(started); return nil }),
	)
	n := &node{srv: srv, feed: &feed{client: svc.Client()}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(n.done)
		n.err = svc.Run()
	}()
	select {
	case <-started:
	case <-n.done:
		cancel()
		return nil, fmt.Errorf("htmx: start: %w", n.err)
	case <-time.After(startTimeout):
		return nil, fmt.Errorf("htmx: the service did not start in %v (stop: %w)", startTimeout, n.Stop())
	}
	if c.Tick > 0 {
		n.ticker.Go(func() { n.feed.tick(ctx, c.Tick) })
	}
	return n, nil
}

// URL is the http URL of path on the node.
func (n *node) URL(path string) string { return "http://" + n.srv.Options().Address + path }

// Stop stops the feed, then the service (browsers are told to come back).
// It may be called more than once.
func (n *node) Stop() error {
	n.cancel()
	n.ticker.Wait()
	select {
	case <-n.done:
		return n.err
	case <-time.After(startTimeout):
		return fmt.Errorf("htmx: the service did not stop in %v", startTimeout)
	}
}
