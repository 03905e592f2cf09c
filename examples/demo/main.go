// Command demo is what `make run` starts: a go-micro service with the SSE
// server and broker, a second go-micro service in the same process that
// publishes through the go-micro broker, and a page that shows the events as
// they arrive. Open the printed address in a browser; Ctrl-C stops it.
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
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	tick := flag.Duration("tick", time.Second, "interval of the ticker events (0: no ticker)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	n, err := startNode(config{Addr: *addr, Tick: *tick})
	if err != nil {
		log.Fatalf("demo: %v", err)
	}
	fmt.Printf("go-micro-sse demo: open %s (Ctrl-C stops)\n", n.URL("/"))
	<-ctx.Done()
	stop() // a second Ctrl-C kills at once
	fmt.Println("go-micro-sse demo: stopping")
	if err := n.Stop(); err != nil {
		log.Fatalf("demo: %v", err)
	}
}
