// Command rpcstream serves an ordinary go-micro handler struct to the
// browser: its stream method Counter.Count is an SSE endpoint the page opens
// with new EventSource("/rpc/Counter.Count?req=..."), each stream.Send one
// event, resumed after a reconnect from the browser's Last-Event-ID; its
// unary method Counter.Add answers JSON. The page also reaches the same
// endpoints through its own http.ServeMux under /api/, behind a logging
// middleware (srv.RPCHandler()).
//
//	cd examples && go run ./rpcstream   # then open the printed address
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8084", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := startNode(*addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("go-micro-sse rpcstream: open %s (Ctrl-C stops)\n", n.URL("/"))
	<-ctx.Done()
	stop()
	if err := n.Stop(); err != nil {
		log.Fatal(err)
	}
}
