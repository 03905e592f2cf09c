package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"go-micro.dev/v4"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// startTimeout bounds how long the service may take to start or stop.
const startTimeout = 30 * time.Second

// node is the example's go-micro service: the SSE server and broker, the
// Counter handler, the page, and the RPC endpoints mounted a second time
// on the page's own mux under /api/, behind a logging middleware.
type node struct {
	srv     *sse.Server
	counter *Counter
	log     *requestLog
	addr    string
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
}

// startNode starts the service on addr with the extra SSE options and
// returns once it serves.
func startNode(addr string, opts ...server.Option) (*node, error) {
	n := &node{counter: &Counter{}, log: &requestLog{}, done: make(chan struct{})}
	n.srv = sse.NewServer(append([]server.Option{
		server.Name("counter"),
		server.Id(uuid.NewString()),
		server.Address(addr),
	}, opts...)...)
	if err := n.srv.Handle(n.srv.NewHandler(n.counter)); err != nil {
		return nil, fmt.Errorf("rpcstream: mounting Counter: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", pageHandler())
	mux.Handle("/api/", n.log.middleware(n.srv.RPCHandler())) // any mux: the same endpoints
	if err := n.srv.Handle(n.srv.NewHandler(mux)); err != nil {
		return nil, fmt.Errorf("rpcstream: mounting the page: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	started := make(chan struct{})
	svc := micro.NewService(
		micro.Server(n.srv), // first: later options configure this server
		micro.Client(client.NewClient()),
		micro.Broker(ssebroker.NewBroker()),
		micro.Registry(registry.NewMemoryRegistry()), // never go-micro's default mDNS
		micro.HandleSignal(false),
		micro.Context(ctx),
		micro.AfterStart(func() error { close(started); return nil }),
	)
	go func() {
		defer close(n.done)
		n.err = svc.Run()
	}()
	select {
	case <-started:
		n.addr = n.srv.Options().Address
		return n, nil
	case <-n.done:
		cancel()
		return nil, n.err
	case <-time.After(startTimeout):
		return nil, errors.Join(errors.New("rpcstream: did not start in time"), n.Stop())
	}
}

// URL is the http URL of path on the node.
func (n *node) URL(path string) string { return "http://" + n.addr + path }

// Stop stops the service (streams are told to come back) and waits for it.
// It may be called more than once.
func (n *node) Stop() error {
	n.cancel()
	select {
	case <-n.done:
		return n.err
	case <-time.After(startTimeout):
		return errors.New("rpcstream: did not stop in time")
	}
}

// requestLog is a logging middleware that keeps what it saw.
type requestLog struct {
	mu   sync.Mutex
	seen []string // "status Last-Event-ID"
}

// statusWriter records the status; Unwrap lets http.ResponseController
// reach the connection (flushes, takeover by the shared writers).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (l *requestLog) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		l.mu.Lock()
		l.seen = append(l.seen, fmt.Sprintf("%d %s", sw.status, r.Header.Get("Last-Event-ID")))
		l.mu.Unlock()
	})
}

// Seen returns "status Last-Event-ID" of every request, in order of their end.
func (l *requestLog) Seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}
