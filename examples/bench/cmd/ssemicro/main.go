// Command ssemicro is go-micro-sse's benchmark server (the contract of
// examples/bench): a go-micro service whose server is the SSE server and
// whose broker is the SSE broker, with go-micro's memory registry. POST
// /publish publishes through the go-micro broker (broker.Publish), so every
// event takes the path a service's event takes to the browsers. With
// -jetstream the broker is fed by NATS JetStream (a nats-server in a child
// process): each event is acknowledged by the stream and comes back to the
// node's hub through its consumer, as on a node of many.
//
//	ssemicro -addr 127.0.0.1:0    # prints the bound address on stdout
//	ssemicro -jetstream           # the same, fed by JetStream
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

	if *natsStoreFlag != "" {
		if err := runNATSServer(ctx, *natsStoreFlag); err != nil {
			log.Fatalf("ssemicro: %v", err)
		}
		return
	}
	var b broker.Broker = ssebroker.NewBroker()
	stopNATS := func() {}
	if *jetStreamFlag {
		js, stop, err := jetStreamBroker()
		if err != nil {
			log.Fatalf("ssemicro: %v", err)
		}
		b, stopNATS = js, stop
	}
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
	err := svc.Run()
	stopNATS()
	if err != nil {
		log.Fatalf("ssemicro: %v", err)
	}
}
