package ssetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"go-micro.dev/v4"
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
)

// ServiceOptions configure StartService. Zero values get loopback defaults.
type ServiceOptions struct {
	// Name of the service; default "ssetest".
	Name string
	// ID of the node (server.Id); default a fresh "node-N", so that several
	// nodes in one process never share go-micro's global default id.
	ID string
	// Address to listen on; default "127.0.0.1:0" unless the server already
	// has an address other than go-micro's ":0".
	Address string
	// Broker; default a new go-micro memory broker.
	Broker broker.Broker
	// Registry; default a new go-micro memory registry (never mDNS).
	Registry registry.Registry
	// Extra micro options, applied after the ones above.
	Extra []micro.Option
}

// Service is a go-micro service running in a goroutine (Run), stopped by
// Stop or, at the latest, when the test ends.
type Service struct {
	micro.Service
	// Registry and Broker the service was started with.
	Registry registry.Registry
	Broker   broker.Broker

	cancel context.CancelFunc
	done   chan struct{}
	runErr error
	once   sync.Once
}

var nodeSeq atomic.Uint64

// NewService builds (without starting) a go-micro service around srv with
// the options in the order go-micro's globals need: micro.Server and
// micro.Client first, then micro.Broker, then micro.Registry; signal
// handling off, a context of its own. The returned cancel ends Run.
func NewService(srv server.Server, o ServiceOptions) (micro.Service, context.CancelFunc, ServiceOptions) {
	if o.Name == "" {
		o.Name = "ssetest"
	}
	if o.ID == "" {
		o.ID = fmt.Sprintf("node-%d", nodeSeq.Add(1))
	}
	if o.Address == "" {
		o.Address = "127.0.0.1:0"
		if a := srv.Options().Address; a != "" && a != server.DefaultAddress {
			o.Address = a
		}
	}
	if o.Broker == nil {
		o.Broker = broker.NewMemoryBroker()
	}
	if o.Registry == nil {
		o.Registry = registry.NewMemoryRegistry()
	}
	ctx, cancel := context.WithCancel(context.Background())
	opts := []micro.Option{
		micro.Server(srv),
		micro.Client(client.NewClient()),
		micro.Broker(o.Broker),
		micro.Registry(o.Registry),
		micro.Name(o.Name),
		micro.Address(o.Address),
		micro.HandleSignal(false),
		micro.Context(ctx),
	}
	opts = append(opts, o.Extra...)
	svc := micro.NewService(opts...)
	// micro has no option for the node id; set it on the server itself.
	if err := srv.Init(server.Id(o.ID)); err != nil {
		cancel()
		panic(fmt.Sprintf("ssetest: server Init: %v", err))
	}
	return svc, cancel, o
}

// StartService starts a go-micro service around srv (see NewService) with
// Run in a goroutine and waits until the server has started. It fails the
// test if Run returns early or start takes longer than Timeout. The service
// is stopped when the test ends.
func StartService(t testing.TB, srv server.Server, o ServiceOptions) *Service {
	t.Helper()
	started := make(chan struct{})
	o.Extra = append(o.Extra[:len(o.Extra):len(o.Extra)], micro.AfterStart(func() error { close(started); return nil }))
	svc, cancel, o := NewService(srv, o)
	s := &Service{Service: svc, Registry: o.Registry, Broker: o.Broker, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.runErr = svc.Run()
	}()
	t.Cleanup(func() { _ = s.Stop() })
	select {
	case <-started:
	case <-s.done:
		t.Fatalf("ssetest: service %s stopped while starting: %v", o.Name, s.runErr)
	case <-afterTimeout():
		t.Fatalf("ssetest: service %s did not start within %v", o.Name, Timeout)
	}
	return s
}

// Addr is the address the server listens on (after Start, go-micro servers
// report the bound address in their options).
func (s *Service) Addr() string { return s.Server().Options().Address }

// URL is "http://" + Addr() + path.
func (s *Service) URL(path string) string { return "http://" + s.Addr() + path }

// Stop ends Run (the service stops its server) and waits for it, at most
// Timeout; it returns Run's error. Stop may be called many times.
func (s *Service) Stop() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case <-s.done:
		case <-afterTimeout():
			s.runErr = fmt.Errorf("ssetest: service did not stop within %v", Timeout)
		}
	})
	return s.runErr
}
