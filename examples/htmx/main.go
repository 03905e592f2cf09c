// Command htmx is a page driven by htmx's SSE extension: a go-micro service
// with the SSE server and broker publishes multi-line HTML fragments, and
// the page swaps each into the element whose sse-swap names its event type
// ("item" fragments appended to a list, "status" fragments replacing a
// card). htmx and htmx-ext-sse are npm dependencies (package.json,
// package-lock.json) fetched by npm ci and served from node_modules:
//
//	cd examples/htmx && npm ci && cd .. && go run ./htmx   # or: make htmx
//
// then open the printed address.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8085", "address to listen on")
	tick := flag.Duration("tick", 2*time.Second, "interval of the published fragments (0: none)")
	assets := flag.String("node-modules", "", "the node_modules folder npm ci filled (default: found from the working folder)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir, err := findNodeModules(*assets)
	if err != nil {
		log.Fatalf("htmx: %v", err)
	}
	n, err := startNode(config{Addr: *addr, Tick: *tick, NodeModules: dir})
	if err != nil {
		log.Fatalf("htmx: %v", err)
	}
	fmt.Printf("go-micro-sse htmx example: open %s (Ctrl-C stops)\n", n.URL("/"))
	<-ctx.Done()
	stop() // a second Ctrl-C kills at once
	if err := n.Stop(); err != nil {
		log.Fatalf("htmx: %v", err)
	}
}
