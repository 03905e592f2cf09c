package main

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/examples/internal/service"
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

// node is one demo process: the SSE service that browsers connect to and
// the publisher service that publishes through the same go-micro broker.
type node struct {
	broker mbroker.Broker
	client client.Client    // the publisher's
	web    *service.Running // the SSE service: sse.Server + ssebroker
	pub    *service.Running // the publisher: go-micro's rpc server, same broker
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
	if n.web, err = service.Run(srv, client.NewClient(), b, services); err != nil {
		return nil, fmt.Errorf("demo: starting the SSE service: %w", err)
	}
	n.addr = srv.Options().Address // the bound address, while it runs
	if n.pub, err = service.Run(pub, n.client, b, services); err != nil {
		return nil, errors.Join(fmt.Errorf("demo: starting the publisher: %w", err), n.web.Stop())
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
	return errors.Join(n.web.Stop(), n.pub.Stop())
}
