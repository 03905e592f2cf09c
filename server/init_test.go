package server_test

import (
	"context"
	"crypto/tls"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/codec"
	"go-micro.dev/v4/codec/json"
	"go-micro.dev/v4/debug/trace"
	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/transport"

	sse "github.com/go-micro-sse/go-micro-sse/server"
)

type ctxKey struct{}

// TestInitOptionsRoundTrip sets every go-micro server option with Init and
// reads it back with Options; a second Init changes only what it sets.
func TestInitOptionsRoundTrip(t *testing.T) {
	s := sse.NewServer()
	b := broker.NewMemoryBroker()
	r := registry.NewMemoryRegistry()
	tr := transport.NewHTTPTransport()
	tracer := trace.NewTracer()
	lg := logger.NewLogger()
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	tlsConf := &tls.Config{ServerName: "x"}
	var checked, hwrapped, swrapped, listened bool
	check := func(context.Context) error { checked = true; return nil }
	hw := func(h server.HandlerFunc) server.HandlerFunc { hwrapped = true; return h }
	sw := func(h server.SubscriberFunc) server.SubscriberFunc { swrapped = true; return h }
	lo := func(*transport.ListenOptions) { listened = true }
	router := server.NewRouter()

	if err := s.Init(
		server.Transport(tr), // before TLSConfig, which initializes the transport
		server.Name("svc"),
		server.Id("id-1"),
		server.Version("v9"),
		server.Address("127.0.0.1:0"),
		server.Advertise("10.0.0.1:80"),
		server.Broker(b),
		server.Registry(r),
		server.Tracer(tracer),
		server.Codec("application/x-test", json.NewCodec),
		server.Context(ctx),
		server.Metadata(map[string]string{"k": "v"}),
		server.RegisterCheck(check),
		server.RegisterTTL(7*time.Second),
		server.RegisterInterval(3*time.Second),
		server.TLSConfig(tlsConf),
		server.WithRouter(router),
		server.WithLogger(lg),
		server.WrapHandler(hw),
		server.WrapSubscriber(sw),
		server.ListenOption(lo),
	); err != nil {
		t.Fatal(err)
	}
	o := s.Options()
	switch {
	case o.Name != "svc", o.Id != "id-1", o.Version != "v9", o.Address != "127.0.0.1:0", o.Advertise != "10.0.0.1:80":
		t.Fatalf("names/addresses not kept: %+v", o)
	case o.Broker != b, o.Registry != r, o.Transport != tr, o.Tracer != tracer, o.Logger != lg:
		t.Fatal("broker/registry/transport/tracer/logger not kept")
	case o.Context.Value(ctxKey{}) != "v":
		t.Fatal("context not kept")
	case o.Metadata["k"] != "v":
		t.Fatal("metadata not kept")
	case o.RegisterTTL != 7*time.Second, o.RegisterInterval != 3*time.Second:
		t.Fatal("register ttl/interval not kept")
	case o.TLSConfig != tlsConf:
		t.Fatal("TLSConfig not kept")
	case o.Router != server.Router(router):
		t.Fatal("router not kept")
	case len(o.HdlrWrappers) != 1, len(o.SubWrappers) != 1, len(o.ListenOptions) != 1:
		t.Fatal("wrappers/listen options not kept")
	}
	if nc, ok := o.Codecs["application/x-test"]; !ok || nc == nil {
		t.Fatal("codec not kept")
	} else if _, ok := nc(nopRWC{}).(codec.Codec); !ok {
		t.Fatal("codec is not a codec")
	}
	_ = o.RegisterCheck(context.Background())
	o.HdlrWrappers[0](nil)
	o.SubWrappers[0](nil)
	o.ListenOptions[0](&transport.ListenOptions{})
	if !checked || !hwrapped || !swrapped || !listened {
		t.Fatal("functions kept are not the ones given")
	}

	// Options returns a copy: changing its metadata changes nothing.
	o.Metadata["k"] = "changed"
	if s.Options().Metadata["k"] != "v" {
		t.Fatal("Options shares the metadata map")
	}

	// A second Init merges.
	if err := s.Init(server.Name("svc2"), server.WrapSubscriber(sw)); err != nil {
		t.Fatal(err)
	}
	o = s.Options()
	if o.Name != "svc2" || o.Id != "id-1" || o.Broker != b || len(o.SubWrappers) != 2 {
		t.Fatalf("second Init did not merge: name %q id %q subwrappers %d", o.Name, o.Id, len(o.SubWrappers))
	}
}

// TestSSEOptionsRideInContext: the SSE options are server.Options that
// survive go-micro's Init and take effect at Start.
func TestSSEOptionsRideInContext(t *testing.T) {
	s := newServer(server.Broker(broker.NewMemoryBroker()), server.Registry(registry.NewMemoryRegistry()))
	if err := s.Init(sse.EventsPath("/sse")); err != nil {
		t.Fatal(err)
	}
	if err := s.Init(server.Name("later")); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	ns := nodes(s.Options().Registry, "later")
	if len(ns) != 1 || ns[0].Metadata["events_path"] != "/sse" {
		t.Fatalf("nodes = %+v", ns)
	}
}

// TestConcurrentInitOptions runs Init, Options, Start and Stop at once (for
// the race detector).
func TestConcurrentInitOptions(t *testing.T) {
	s := newServer(server.Broker(broker.NewMemoryBroker()), server.Registry(registry.NewMemoryRegistry()))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			for range 50 {
				_ = s.Init(server.Metadata(map[string]string{"i": "x"}), server.Version("v"))
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				_ = s.Options().Metadata["i"]
			}
		}()
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_ = s.Start()
			} else {
				_ = s.Stop()
			}
		}()
	}
	wg.Wait()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

type nopRWC struct{}

func (nopRWC) Read([]byte) (int, error)    { return 0, nil }
func (nopRWC) Write(b []byte) (int, error) { return len(b), nil }
func (nopRWC) Close() error                { return nil }

// TestInitBrokerWhileRunning: Stop disconnects the broker the server
// started with, not one set by Init meanwhile (used at the next Start).
func TestInitBrokerWhileRunning(t *testing.T) {
	first, second := &countingBroker{Broker: broker.NewMemoryBroker()}, &countingBroker{Broker: broker.NewMemoryBroker()}
	s := newServer(server.Broker(first), server.Registry(registry.NewMemoryRegistry()))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Init(server.Broker(second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if first.disconnects.Load() != 1 || second.disconnects.Load() != 0 {
		t.Fatalf("disconnects: first %d, second %d", first.disconnects.Load(), second.disconnects.Load())
	}
}

type countingBroker struct {
	broker.Broker
	disconnects atomic.Int64
}

func (b *countingBroker) Disconnect() error {
	b.disconnects.Add(1)
	return b.Broker.Disconnect()
}
