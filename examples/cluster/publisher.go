package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/nats-io/nats.go"
	"go-micro.dev/v4"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/metadata"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/examples/internal/service"
)

// Tick is what the publisher publishes on tickTopic: N counts up by one
// per acknowledged publish, so a page sees any gap or duplicate.
type Tick struct {
	N  uint64 `json:"n"`
	At string `json:"at"`
}

// publisher is a plain go-micro service (go-micro's rpc server) whose
// client publishes a Tick every interval through a JetStream broker.
type publisher struct {
	nc   *nats.Conn
	run  *service.Running
	quit chan struct{}
	done chan struct{}
}

// startPublisher starts the publisher service and its ticker.
func startPublisher(natsURL string, every time.Duration) (*publisher, error) {
	nc, err := connect(natsURL, "publisher")
	if err != nil {
		return nil, err
	}
	c := client.NewClient()
	srv := server.NewServer(server.Name("cluster-publisher"), server.Address("127.0.0.1:0"))
	b := ssebroker.NewBroker(ssebroker.JetStream(nc, streamName))
	p := &publisher{nc: nc, quit: make(chan struct{}), done: make(chan struct{})}
	if p.run, err = service.Run(srv, c, b, newRegistry(natsURL)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: publisher: %w", err)
	}
	go p.tick(micro.NewEvent(tickTopic, c), every)
	return p, nil
}

// tick publishes a Tick every interval until stop. A publish that is not
// acknowledged (NATS away) is logged and the same N is tried again at the
// next tick: N is never skipped, never repeated.
func (p *publisher) tick(ev micro.Event, every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	n := uint64(1)
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
		}
		ctx := metadata.Set(context.Background(), codec.HeaderEvent, "tick")
		err := ev.Publish(ctx, &Tick{N: n, At: time.Now().Format(time.StampMilli)})
		if err != nil {
			if errors.Is(err, ssebroker.ErrNotAcknowledged) {
				log.Printf("cluster: tick %d not acknowledged, retrying: %v", n, err)
			} else {
				log.Printf("cluster: tick %d: %v", n, err)
			}
			continue
		}
		n++
	}
}

// stop stops the ticker, then the service, then closes the connection.
func (p *publisher) stop() error {
	close(p.quit)
	<-p.done
	err := p.run.Stop()
	p.nc.Close()
	return err
}
