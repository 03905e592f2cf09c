// Command writeperevent is a reference server of examples/bench, not an SSE
// library: one write(2) of the encoded frame per event per connection. Its
// streams are HTTP/1.1 connections taken over after the request (headers
// written by hand, the body delimited by the close, no chunking), held in a
// list with no goroutine and no buffer each; a publish encodes the frame
// once and writes it to every connection in turn from one goroutine.
//
// It is not the least a server can do (cmd/limit is: it writes all the
// pending frames of a connection with one writev): it shows what one
// system call per delivered event costs.
//
//	writeperevent -addr 127.0.0.1:0    # prints the bound address on stdout
package main

import (
	"log"

	"github.com/go-micro-sse/go-micro-sse/examples/bench/internal/contract"
)

func main() {
	flags := contract.ParseFlags()
	ctx, stop := contract.SignalContext()
	defer stop()

	conns := &connList{}
	pub := contract.NewPublisher(ctx, func(data []byte) error {
		frame := make([]byte, 0, len(data)+8)
		frame = append(frame, "data: "...)
		frame = append(frame, data...)
		frame = append(frame, '\n', '\n')
		conns.writeAll(frame)
		return nil
	})
	mux := contract.Mux(pub)
	mux.HandleFunc("/events", conns.serve)

	if err := contract.Serve(ctx, flags.Addr, mux, conns.closeAll); err != nil {
		log.Fatalf("writeperevent: %v", err)
	}
}
