// Command ssemicro is go-micro-sse's benchmark server (the contract of
// examples/bench): a go-micro service whose server is the SSE server and
// whose broker is the SSE broker, with go-micro's memory registry. POST
// /publish publishes through the go-micro broker (broker.Publish), so every
// event takes the path a service's event takes to the browsers.
//
//	ssemicro -addr 127.0.0.1:0    # prints the bound address on stdout
package main

import (
	"log"

	"github.com/google/uuid"
	"go-micro.dev/v4"
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/examples/bench/internal/contract"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

func main() {
	flags := contract.ParseFlags()
	ctx, stop := contract.SignalContext()
	defer stop()

	b := ssebroker.NewBroker()
	srv := sse.NewServer(
		server.Name("bench"),
		server.Id(uuid.NewString()),
		server.Address(flags.Addr),
	)
	pub := contract.NewPublisher(ctx, func(data []byte) error {
		return b.Publish(contract.Topic, &broker.Message{Body: data})
	})
	if err := srv.Handle(srv.NewHandler(contract.Mux(pub))); err != nil {
		log.Fatalf("ssemicro: %v", err)
	}
	svc := micro.NewService(
		micro.Server(srv),
		micro.Client(client.NewClient()),
		micro.Broker(b),
		micro.Registry(registry.NewMemoryRegistry()), // never mDNS
		micro.HandleSignal(false),
		micro.Context(ctx),
		micro.AfterStart(func() error {
			contract.Announce(srv.Options().Address)
			return nil
		}),
	)
	if err := svc.Run(); err != nil {
		log.Fatalf("ssemicro: %v", err)
	}
}
