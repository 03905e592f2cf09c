// Command cluster runs a go-micro-sse cluster in one process: an embedded
// nats-server with JetStream (a temporary store, 127.0.0.1 only), three
// SSE nodes on three ports that share one JetStream stream as their log
// and register in go-micro's NATS registry, and a publisher service that
// publishes a tick every second. Open any node's page: it shows which node
// serves it and switches nodes mid-stream, resuming with no gap. Ctrl-C
// stops everything and removes the store.
//
//	cd examples && go run ./cluster
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	addrs := flag.String("addrs", "127.0.0.1:8081,127.0.0.1:8082,127.0.0.1:8083", "addresses of the SSE nodes, comma-separated")
	tick := flag.Duration("tick", time.Second, "interval of the publisher's ticks")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cl, err := startCluster(config{Addrs: strings.Split(*addrs, ","), Tick: *tick})
	if err != nil {
		log.Fatalf("cluster: %v", err)
	}
	fmt.Printf("go-micro-sse cluster: nats-server with JetStream at %s\n", cl.NATSURL())
	for i := range cl.nodes {
		fmt.Printf("  %s: open %s\n", nodeID(i), cl.Node(i).URL("/"))
	}
	fmt.Println("(Ctrl-C stops)")
	<-ctx.Done()
	stop()
	fmt.Println("go-micro-sse cluster: stopping")
	if err := cl.Stop(); err != nil {
		log.Fatalf("cluster: %v", err)
	}
}
