// Command r3labs is the benchmark server of examples/bench served by
// github.com/r3labs/sse/v2: its Server with one stream "bench", published
// to with its Server.Publish.
//
//	r3labs -addr 127.0.0.1:0    # prints the bound address on stdout
package main

import (
	"log"

	"github.com/r3labs/sse/v2"

	"github.com/go-micro-sse/go-micro-sse/examples/bench/internal/contract"
)

func main() {
	flags := contract.ParseFlags()
	ctx, stop := contract.SignalContext()
	defer stop()

	s := sse.New()
	s.AutoReplay = false // no unbounded event log: a live-only comparison
	s.CreateStream(contract.Topic)
	defer s.Close()
	pub := contract.NewPublisher(ctx, func(data []byte) error {
		s.Publish(contract.Topic, &sse.Event{Data: data})
		return nil
	})
	// r3labs writes the headers after the subscriber is registered on its
	// stream, so a client that has the headers gets every later event.
	mux := contract.Mux(pub)
	mux.Handle("/events", s)

	if err := contract.Serve(ctx, flags.Addr, mux); err != nil {
		log.Fatalf("r3labs: %v", err)
	}
}
