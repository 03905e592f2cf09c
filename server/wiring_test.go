package server_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"go-micro.dev/v4"
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// freshGoMicroDefaults gives the test go-micro defaults of its own (the
// default server, client, broker and registry are package variables that
// micro.NewService starts from and that micro.Broker and micro.Registry
// change) and restores them when it ends. The default broker listens on
// loopback and the default registry is a memory one, so that a wiring that
// falls back to them never leaves the machine (no mDNS).
func freshGoMicroDefaults(t *testing.T) {
	t.Helper()
	srv, cl, br, reg := server.DefaultServer, client.DefaultClient, broker.DefaultBroker, registry.DefaultRegistry
	t.Cleanup(func() {
		server.DefaultServer, client.DefaultClient, broker.DefaultBroker, registry.DefaultRegistry = srv, cl, br, reg
	})
	registry.DefaultRegistry = registry.NewMemoryRegistry()
	broker.DefaultBroker = ssetest.HTTPBroker(t, registry.DefaultRegistry)
	server.DefaultServer = server.NewRPCServer()
	client.DefaultClient = client.NewClient()
}

// runService runs a go-micro service built from opts (in that order, then
// no signal handling and a context of its own) until the test ends; init,
// when set, is called between NewService and Run (svc.Init()).
func runService(t *testing.T, init func(micro.Service), opts ...micro.Option) micro.Service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	svc := micro.NewService(append(opts,
		micro.HandleSignal(false),
		micro.Context(ctx),
		micro.AfterStart(func() error { close(started); return nil }))...)
	if init != nil {
		init(svc)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run() }()
	t.Cleanup(func() {
		cancel()
		if err := ssetest.Recv(t, done, "the service's Run to return"); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("the service stopped while starting: %v", err)
	}
	return svc
}

// wiredServer is the SSE server of the wiring tests: loopback, named, its
// log kept.
func wiredServer(log *ssetest.Log) *sse.Server {
	return sse.NewServer(server.Name("wired"), server.Address("127.0.0.1:0"), server.WithLogger(log))
}

// checkDelivery publishes one message with the service's client and checks
// that a browser-like client of srv gets it, and that srv registered in reg.
func checkDelivery(t *testing.T, svc micro.Service, srv *sse.Server, reg registry.Registry, text string) {
	t.Helper()
	st := ssetest.OpenT(t, ssetest.EventsURL("http://"+srv.Options().Address+"/events", "wired"), "")
	ssetest.Eventually(t, "the stream is open", func() bool { return srv.Stats().Subscribers == 1 })
	if err := micro.NewEvent("wired", svc.Client()).Publish(context.Background(), &Note{Text: text}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if e := st.Next(t); string(e.Data) != fmt.Sprintf(`{"text":%q,"n":0}`, text) {
		t.Fatalf("the browser got %q", e.Data)
	}
	if svcs, err := reg.GetService("wired"); err != nil || len(svcs) == 0 || len(svcs[0].Nodes) == 0 {
		t.Fatalf("the server is not registered in the service's registry: %v %v", svcs, err)
	}
}

// TestWiringEveryOrder: micro.Server, micro.Broker and micro.Registry in
// any order, with micro.Client first or no client option at all (go-micro's
// default client), give one service whose client publishes into the hub
// the SSE server serves, and whose server registers in the registry given.
// Start logs that the hub is shared with the broker.
func TestWiringEveryOrder(t *testing.T) {
	orders := [][]string{
		{"Server", "Broker", "Registry"},
		{"Server", "Registry", "Broker"},
		{"Broker", "Server", "Registry"},
		{"Broker", "Registry", "Server"},
		{"Registry", "Server", "Broker"},
		{"Registry", "Broker", "Server"},
	}
	for _, order := range orders {
		for _, withClient := range []bool{true, false} {
			name := strings.Join(order, ",")
			if withClient {
				name = "Client," + name
			}
			t.Run(name, func(t *testing.T) {
				freshGoMicroDefaults(t)
				log := ssetest.NewLog()
				srv := wiredServer(log)
				b := ssebroker.NewBroker()
				reg := registry.NewMemoryRegistry()
				parts := map[string]micro.Option{"Server": micro.Server(srv), "Broker": micro.Broker(b), "Registry": micro.Registry(reg)}
				var opts []micro.Option
				if withClient {
					opts = append(opts, micro.Client(client.NewClient()))
				}
				for _, p := range order {
					opts = append(opts, parts[p])
				}
				svc := runService(t, nil, opts...)

				if got := srv.Options().Broker; got != b {
					t.Fatalf("the server's broker is %s, want the service's sse broker", got.String())
				}
				checkDelivery(t, svc, srv, reg, name)
				if lines := log.Lines("info", "shared with broker sse"); len(lines) != 1 {
					t.Fatalf("Start should log the shared hub once; log:\n%s", strings.Join(log.Lines(), "\n"))
				}
			})
		}
	}
}

// TestWiringForeignBrokerBeforeServer: with go-micro's HTTP broker given
// before micro.Server, the SSE server bridges through that broker (the one
// the client publishes to), not through go-micro's default one, and says so.
func TestWiringForeignBrokerBeforeServer(t *testing.T) {
	freshGoMicroDefaults(t)
	log := ssetest.NewLog()
	srv := wiredServer(log)
	reg := registry.NewMemoryRegistry()
	hb := ssetest.HTTPBroker(t, reg)
	svc := runService(t, nil, micro.Client(client.NewClient()), micro.Broker(hb), micro.Server(srv), micro.Registry(reg))

	if srv.Options().Broker != hb {
		t.Fatal("the server does not use the service's broker")
	}
	st := ssetest.OpenT(t, ssetest.EventsURL("http://"+srv.Options().Address+"/events", "wired"), "")
	ssetest.Eventually(t, "the bridge follows the topic", func() bool { return srv.Stats().BridgedTopics == 1 })
	if err := micro.NewEvent("wired", svc.Client()).Publish(context.Background(), &Note{Text: "bridged"}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if e := st.Next(t); string(e.Data) != `{"text":"bridged","n":0}` {
		t.Fatalf("the browser got %q", e.Data)
	}
	if lines := log.Lines("info", "bridged through broker http"); len(lines) != 1 {
		t.Fatalf("Start should log the bridge; log:\n%s", strings.Join(log.Lines(), "\n"))
	}
}

// withArgs runs fn with os.Args set to args (go-micro's command line reads
// them in svc.Init), restored after.
func withArgs(args []string, fn func()) {
	saved := os.Args
	os.Args = args
	defer func() { os.Args = saved }()
	fn()
}

// TestWiringServerFromCommandLine: --server=sse (or MICRO_SERVER=sse)
// makes svc.Init() replace the service's server with a new SSE server that
// got none of the options given in code. It still serves the broker given
// with micro.Broker (or --broker=sse) and registers in the registry given
// with micro.Registry.
func TestWiringServerFromCommandLine(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		broker bool // micro.Broker(ssebroker.NewBroker()) in code
	}{
		{"flag --server=sse, micro.Broker", []string{"wired", "--server=sse"}, nil, true},
		{"MICRO_SERVER=sse, micro.Broker", []string{"wired"}, map[string]string{"MICRO_SERVER": "sse"}, true},
		{"flags --server=sse --broker=sse", []string{"wired", "--server=sse", "--broker=sse"}, nil, false},
		{"MICRO_SERVER=sse MICRO_BROKER=sse", []string{"wired"}, map[string]string{"MICRO_SERVER": "sse", "MICRO_BROKER": "sse"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			freshGoMicroDefaults(t)
			t.Setenv("MICRO_SERVER_NAME", "wired")
			t.Setenv("MICRO_SERVER_ADDRESS", "127.0.0.1:0")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			reg := registry.NewMemoryRegistry()
			opts := []micro.Option{micro.Client(client.NewClient())}
			if c.broker {
				opts = append(opts, micro.Broker(ssebroker.NewBroker()))
			}
			opts = append(opts, micro.Registry(reg))
			log := ssetest.NewLog()
			var srv *sse.Server
			svc := runService(t, func(svc micro.Service) {
				withArgs(c.args, func() { svc.Init() })
				var ok bool
				if srv, ok = svc.Server().(*sse.Server); !ok {
					t.Fatalf("svc.Init() gave a %T, not the SSE server", svc.Server())
				}
				if err := srv.Init(server.WithLogger(log)); err != nil {
					t.Fatal(err)
				}
			}, opts...)

			if got, want := srv.Options().Broker, svc.Options().Broker; got != want || want.String() != "sse" {
				t.Fatalf("the server's broker is %s, want the service's (%s)", got.String(), want.String())
			}
			checkDelivery(t, svc, srv, reg, c.name)
			if lines := log.Lines("info", "shared with broker sse"); len(lines) != 1 {
				t.Fatalf("Start should log the shared hub once; log:\n%s", strings.Join(log.Lines(), "\n"))
			}
		})
	}
}
