// Command quickstart is the three-line setup of go-micro-sse as a program:
// a go-micro service with the SSE server and the SSE broker that publishes a
// tick every second through the ordinary go-micro API. Watch it with
//
//	cd examples && go run ./quickstart -addr 127.0.0.1:8086
//	curl -N 'http://127.0.0.1:8086/events?stream=ticks'
//
// or open http://127.0.0.1:8086/, a one-line page that shows each tick
// (new EventSource("/events?stream=ticks") in any page of the same origin
// does the same).
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"sync"
	"time"

	"go-micro.dev/v4"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// Tick is what the service publishes; browsers get it as JSON.
type Tick struct {
	N    int       `json:"n"`
	Time time.Time `json:"time"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8086", "address to serve /events on")
	flag.Parse()

	ctx, stop := context.WithCancel(context.Background())
	var publisher sync.WaitGroup
	srv := sse.NewServer()
	_ = srv.Handle(srv.NewHandler(http.HandlerFunc(page))) // "/": one line of HTML
	var svc micro.Service
	svc = micro.NewService(
		micro.Server(srv), // any order of Server, Broker, Registry (README: Wiring)
		micro.Client(client.NewClient()),
		micro.Broker(ssebroker.NewBroker()),
		micro.Registry(registry.NewMemoryRegistry()), // never go-micro's default mDNS
		micro.Name("quickstart"),
		micro.Address(*addr),
		micro.AfterStart(func() error {
			a := svc.Server().Options().Address
			log.Printf("quickstart: open http://%s/ or curl -N 'http://%s/events?stream=ticks'", a, a)
			publisher.Go(func() { publish(ctx, svc) })
			return nil
		}),
		micro.BeforeStop(func() error {
			stop()
			publisher.Wait()
			return nil
		}),
	)
	if err := svc.Run(); err != nil {
		log.Fatal(err)
	}
}

// publish publishes a Tick to the topic "ticks" every second until ctx ends.
func publish(ctx context.Context, svc micro.Service) {
	ticks := micro.NewEvent("ticks", svc.Client())
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := ticks.Publish(ctx, &Tick{N: n, Time: now}); err != nil {
				log.Printf("quickstart: publish: %v", err)
			}
		}
	}
}

// page answers "/" with one line of HTML showing the latest tick, through
// the browser module the server serves beside /events; anything else is
// not found.
func page(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>quickstart</title><pre id="out">waiting for the first tick…</pre><script type="module">import { SharedEventSource } from "/events/sse-v1.js"; new SharedEventSource("/events?stream=ticks").onmessage = (e) => { out.textContent = e.data; };</script>` + "\n"))
}
