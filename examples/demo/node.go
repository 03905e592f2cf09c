package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go-micro.dev/v4"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	sse "github.com/go-micro-sse/go-micro-sse/server"
	"github.com/go-micro-sse/go-micro-sse/server/metrics"
)

// config is what a demo node is made of.
type config struct {
	// Addr is the address of the SSE server (page, /events, /publish,
	// /metrics).
	Addr string
	// Tick is the interval of the ticker events; 0 disables the ticker.
	Tick time.Duration
	// SSE are extra options of the SSE server (the tests set retry,
	// authorization).
	SSE []server.Option
	// Broker are extra options of the SSE broker, which owns the hub (the
	// tests set history bounds).
	Broker []mbroker.Option
}

// startTimeout bounds how long a service may take to start or stop.
const startTimeout = 30 * time.Second

// node is one demo process: the SSE service that browsers connect to and
// the publisher service that publishes through the same go-micro broker.
type node struct {
	broker mbroker.Broker
	client client.Client // the publisher's
	web    *running      // the SSE service: sse.Server + ssebroker
	pub    *running      // the publisher: go-micro's rpc server, same broker
	ticker *ticker
	addr   string
}

// startNode starts the SSE service, then the publisher service and its
// ticker; it returns once both serve.
func startNode(c config) (*node, error) {
	services := registry.NewMemoryRegistry() // never go-micro's default mDNS
	b := ssebroker.NewBroker(c.Broker...)
	// The publisher's client publishes through the broker the SSE server
	// serves: micro.Broker wires it when the publisher service is built.
	n := &node{broker: b, client: client.NewClient()}

	srv := sse.NewServer(append([]server.Option{
		server.Name("demo"),
		server.Id(uuid.NewString()),
		server.Address(c.Addr),
	}, c.SSE...)...)
	// The page and, beside it, the server's Prometheus metrics.
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv))
	mux := http.NewServeMux()
	mux.Handle("/", newPage(n.client))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if err := srv.Handle(srv.NewHandler(mux)); err != nil {
		return nil, fmt.Errorf("demo: mounting the page: %w", err)
	}
	pub := server.NewServer(
		server.Name("demo-publisher"),
		server.Id(uuid.NewString()),
		server.Address("127.0.0.1:0"),
	)

	var err error
	if n.web, err = run(srv, client.NewClient(), b, services); err != nil {
		return nil, fmt.Errorf("demo: starting the SSE service: %w", err)
	}
	n.addr = srv.Options().Address // the bound address, while it runs
	if n.pub, err = run(pub, n.client, b, services); err != nil {
		return nil, errors.Join(fmt.Errorf("demo: starting the publisher: %w", err), n.web.stop())
	}
	if c.Tick > 0 {
		n.ticker = startTicker(n.client, c.Tick)
	}
	return n, nil
}

// Addr is the address the SSE server listens on (host:port).
func (n *node) Addr() string { return n.addr }

// URL is the http URL of path on the SSE server.
func (n *node) URL(path string) string { return "http://" + n.addr + path }

// Stop stops the ticker, then the SSE service (browsers are told to come
// back), then the publisher, and waits for all of them. It may be called
// more than once.
func (n *node) Stop() error {
	if n.ticker != nil {
		n.ticker.stop()
	}
	return errors.Join(n.web.stop(), n.pub.stop())
}

// running is a go-micro service whose Run is in a goroutine.
type running struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// run builds a go-micro service around srv and c (the options in the order
// go-micro's globals need: server and client first, then broker, then
// registry; signals are main's business, it stops the node in order), starts
// its Run in a goroutine and waits until the service has started, or Run
// failed, or startTimeout passed.
func run(srv server.Server, c client.Client, b mbroker.Broker, reg registry.Registry) (*running, error) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	svc := micro.NewService(
		micro.Server(srv),
		micro.Client(c),
		micro.Broker(b),
		micro.Registry(reg),
		micro.HandleSignal(false),
		micro.Context(ctx),
		micro.AfterStart(func() error { close(started); return nil }),
	)
	r := &running{name: srv.Options().Name, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = svc.Run()
	}()
	select {
	case <-started:
		return r, nil
	case <-r.done:
		cancel()
		return nil, r.err
	case <-time.After(startTimeout):
		return nil, errors.Join(errors.New("did not start in time"), r.stop())
	}
}

// stop ends Run and waits for it (at most startTimeout).
func (r *running) stop() error {
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(startTimeout):
		return fmt.Errorf("demo: service %s did not stop in time", r.name)
	}
}
