package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	natsregistry "github.com/go-micro/plugins/v4/registry/nats"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/examples/internal/service"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// Names the cluster uses: the JetStream stream that is the log of every
// topic, the go-micro service every SSE node registers as, the topic of
// the publisher's ticks.
const (
	streamName  = "cluster"
	serviceName = "cluster-sse"
	tickTopic   = "ticks"
)

// config is what a cluster is made of.
type config struct {
	// Addrs are the addresses of the SSE nodes, one node each.
	Addrs []string
	// Tick is the interval of the publisher's ticks; 0: no publisher.
	Tick time.Duration
	// SSE are extra options of every SSE server (the tests set retry).
	SSE []server.Option
	// Broker are extra options of every node's broker.
	Broker []mbroker.Option
}

// cluster is an embedded nats-server with JetStream (a temporary store,
// loopback only), the SSE nodes and the publisher.
type cluster struct {
	cfg   config
	ns    *natsserver.Server
	store string

	mu      sync.Mutex
	nodes   []*sseNode // nil where a node is stopped
	origins []string
	pub     *publisher
}

// startCluster starts nats-server, then every SSE node, then the publisher.
func startCluster(c config) (cl *cluster, err error) {
	store, err := os.MkdirTemp("", "sse-cluster-")
	if err != nil {
		return nil, fmt.Errorf("cluster: store: %w", err)
	}
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: store, NoSigs: true, NoLog: true,
	})
	if err != nil {
		os.RemoveAll(store)
		return nil, fmt.Errorf("cluster: nats-server: %w", err)
	}
	go ns.Start()
	c.Addrs = slices.Clone(c.Addrs)
	cl = &cluster{cfg: c, ns: ns, store: store, nodes: make([]*sseNode, len(c.Addrs))}
	defer func() {
		if err != nil {
			err = errors.Join(err, cl.Stop())
		}
	}()
	if !ns.ReadyForConnections(service.StartTimeout) {
		return cl, errors.New("cluster: nats-server did not start")
	}
	// The pages call the other nodes (CORS): every node's origin is known
	// before the first starts, so a port 0 is chosen here.
	for i, a := range c.Addrs {
		if c.Addrs[i], err = pickPort(a); err != nil {
			return cl, err
		}
		cl.origins = append(cl.origins, "http://"+c.Addrs[i])
	}
	for i := range c.Addrs {
		if err := cl.StartNode(i); err != nil {
			return cl, err
		}
	}
	if c.Tick > 0 {
		if cl.pub, err = startPublisher(ns.ClientURL(), c.Tick); err != nil {
			return cl, err
		}
	}
	return cl, nil
}

// pickPort returns addr, with a free port in place of port 0.
func pickPort(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port != "0" {
		return addr, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("cluster: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// NATSURL is the client URL of the embedded nats-server.
func (cl *cluster) NATSURL() string { return cl.ns.ClientURL() }

// nodeID is the go-micro server id of the i-th node: node-a, node-b, ...
func nodeID(i int) string { return "node-" + string(rune('a'+i)) }

// StartNode starts the i-th SSE node (again, after StopNode).
func (cl *cluster) StartNode(i int) error {
	n, err := startSSENode(cl.ns.ClientURL(), nodeID(i), cl.cfg.Addrs[i], cl.origins, cl.cfg)
	if err != nil {
		return fmt.Errorf("cluster: %s: %w", nodeID(i), err)
	}
	cl.mu.Lock()
	cl.nodes[i] = n
	cl.mu.Unlock()
	return nil
}

// StopNode stops the i-th SSE node: its browsers are told to come back.
func (cl *cluster) StopNode(i int) error {
	cl.mu.Lock()
	n := cl.nodes[i]
	cl.nodes[i] = nil
	cl.mu.Unlock()
	if n == nil {
		return nil
	}
	return n.stop()
}

// Node returns the i-th node, nil while it is stopped.
func (cl *cluster) Node(i int) *sseNode {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.nodes[i]
}

// Stop stops the publisher, every node and nats-server, and removes the
// store. It may be called more than once.
func (cl *cluster) Stop() error {
	var errs []error
	if cl.pub != nil {
		errs = append(errs, cl.pub.stop())
		cl.pub = nil
	}
	for i := range cl.nodes {
		errs = append(errs, cl.StopNode(i))
	}
	if cl.ns != nil {
		cl.ns.Shutdown()
		cl.ns.WaitForShutdown()
	}
	if cl.store != "" {
		errs = append(errs, os.RemoveAll(cl.store))
	}
	return errors.Join(errs...)
}

// sseNode is one SSE node: a go-micro service with the SSE server, a
// JetStream broker on a NATS connection of its own and go-micro's NATS
// registry.
type sseNode struct {
	id   string
	addr string
	nc   *nats.Conn
	reg  registry.Registry
	br   mbroker.Broker
	run  *service.Running
}

// startSSENode starts one SSE node listening on addr.
func startSSENode(natsURL, id, addr string, origins []string, c config) (*sseNode, error) {
	nc, err := connect(natsURL, id)
	if err != nil {
		return nil, err
	}
	reg := newRegistry(natsURL)
	b := ssebroker.NewBroker(append([]mbroker.Option{ssebroker.JetStream(nc, streamName)}, c.Broker...)...)
	srv := sse.NewServer(append([]server.Option{
		server.Name(serviceName),
		server.Id(id),
		server.Address(addr),
		server.Metadata(map[string]string{"node": id}),
		sse.AllowedOrigins(origins...),
	}, c.SSE...)...)
	n := &sseNode{id: id, nc: nc, reg: reg, br: b}
	if err := srv.Handle(srv.NewHandler(newPage(n, origins))); err != nil {
		nc.Close()
		return nil, fmt.Errorf("mounting the page: %w", err)
	}
	if n.run, err = service.Run(srv, client.NewClient(), b, reg); err != nil {
		nc.Close()
		return nil, err
	}
	n.addr = srv.Options().Address
	return n, nil
}

// URL is the http URL of path on the node.
func (n *sseNode) URL(path string) string { return "http://" + n.addr + path }

// Broker is the node's broker (the tests publish through it).
func (n *sseNode) Broker() mbroker.Broker { return n.br }

// stop stops the service, then closes the NATS connection.
func (n *sseNode) stop() error {
	err := n.run.Stop()
	n.nc.Close()
	return err
}

// connect opens a NATS connection that reconnects forever (JetStream
// publishes fail while it is down; consuming resumes when it is back).
func connect(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("nats connect: %w", err)
	}
	return nc, nil
}

// newRegistry is go-micro's NATS registry on url. The plugin keeps its
// connection for its whole life and has no Close: without reconnects, the
// connection (and its goroutines) ends when nats-server stops.
func newRegistry(url string) registry.Registry {
	o := nats.GetDefaultOptions()
	o.AllowReconnect = false
	return natsregistry.NewRegistry(registry.Addrs(url), natsregistry.Options(o))
}
