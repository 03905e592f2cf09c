package server_test

import (
	"os"
	"testing"

	"go-micro.dev/v4"
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/util/cmd"

	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestServerFlag: importing the package makes --server=sse select this
// server in a service that calls svc.Init(), as go-micro's plugins do.
func TestServerFlag(t *testing.T) {
	mk, ok := cmd.DefaultServers["sse"]
	if !ok {
		t.Fatal(`cmd.DefaultServers["sse"] is not set`)
	}
	if s, ok := mk(server.Name("x")).(*sse.Server); !ok || s.Options().Name != "x" {
		t.Fatalf("DefaultServers[sse] made %T", mk())
	}

	args := os.Args
	defer func() { os.Args = args }()
	os.Args = []string{"svc", "--server=sse"}
	svc := micro.NewService(
		micro.Server(server.NewRPCServer()),
		micro.Client(client.NewClient()),
		micro.Broker(broker.NewMemoryBroker()),
		micro.Registry(registry.NewMemoryRegistry()),
		micro.Cmd(cmd.NewCmd()),
	)
	svc.Init()
	if got := svc.Server().String(); got != "sse" {
		t.Fatalf("--server=sse gave a %q server", got)
	}
	if _, ok := svc.Server().(*sse.Server); !ok {
		t.Fatalf("server is a %T", svc.Server())
	}
}
