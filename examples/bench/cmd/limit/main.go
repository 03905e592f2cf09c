// Command limit is the reference of examples/bench that bounds the others
// from below: the least work a Go server can do for the benchmark contract.
// It is no SSE library (no ids, no history, no slow-client policy beyond
// dropping the one that falls out of the 64 MiB log).
//
//   - Streams are HTTP/1.1 connections taken over after the request
//     (headers written by hand, the body delimited by the close, no
//     chunking), with no goroutine and no buffer of their own while idle.
//   - A publish encodes the event once, straight into an append-only log
//     of bytes in memory (log.go), then wakes the writers: nothing else
//     lies between the publish and the sockets.
//   - GOMAXPROCS writer goroutines own the connections (writer.go). A
//     connection is a position in the log, so all it lacks is one range of
//     it: on a wake-up each writer writes to every connection of its own
//     that range with one non-blocking writev(2) of the log's own bytes
//     (one iovec per block of the log it touches; no copy per connection;
//     writev.go).
//   - A connection whose socket is full gets a goroutine that waits until
//     it can be written (under a write deadline), then hands it back.
//   - A heartbeat sweep finds the clients that left by peeking at their
//     sockets (MSG_PEEK) and sends a comment to the connections written
//     nothing since the last sweep.
//
// Usage (the bound address is printed on stdout):
//
//	limit -addr 127.0.0.1:0
package main

import (
	"log"

	"github.com/go-micro-sse/go-micro-sse/examples/bench/internal/contract"
)

func main() {
	flags := contract.ParseFlags()
	ctx, stop := contract.SignalContext()
	defer stop()

	f := newFanout()
	pub := contract.NewPublisher(ctx, func(data []byte) error {
		f.publish(data)
		return nil
	})
	mux := contract.Mux(pub)
	mux.HandleFunc("/events", f.serve)

	if err := contract.Serve(ctx, flags.Addr, mux, f.close); err != nil {
		log.Fatalf("limit: %v", err)
	}
}
