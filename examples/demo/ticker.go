package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"go-micro.dev/v4"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/metadata"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// tick is what the ticker publishes on the topic "ticks" (event type
// "tick") every interval.
type tick struct {
	Topic string `json:"topic"`
	N     int    `json:"n"`
	At    int64  `json:"at"` // publish time, Unix milliseconds
}

// headline is what the ticker publishes on the topic "news" (event type
// "headline") every third tick.
type headline struct {
	Topic    string `json:"topic"`
	N        int    `json:"n"`
	Headline string `json:"headline"`
	At       int64  `json:"at"`
}

var headlines = []string{
	"go-micro services now talk to browsers",
	"EventSource reconnects by itself",
	"Last-Event-ID: nothing missed, nothing twice",
	"Ünïcode and emoji 🎉 arrive intact",
}

// ticker publishes through the go-micro client (micro.NewEvent), as any
// service would, until stopped.
type ticker struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	published atomic.Int64 // ticks published
}

// startTicker publishes a tick every interval and a headline every third.
func startTicker(c client.Client, interval time.Duration) *ticker {
	ctx, cancel := context.WithCancel(context.Background())
	t := &ticker{cancel: cancel}
	ticks := micro.NewEvent("ticks", c)
	news := micro.NewEvent("news", c)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for n := 1; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
			at := time.Now().UnixMilli()
			// The event type travels in the Sse-Event header: go-micro's
			// client copies the context's metadata into the message headers.
			err := ticks.Publish(metadata.Set(ctx, codec.HeaderEvent, "tick"), &tick{Topic: "ticks", N: n, At: at})
			if err == nil {
				t.published.Add(1)
			}
			if err == nil && n%3 == 0 {
				h := &headline{Topic: "news", N: n / 3, Headline: headlines[(n/3-1)%len(headlines)], At: at}
				err = news.Publish(metadata.Set(ctx, codec.HeaderEvent, "headline"), h)
			}
			if err != nil && ctx.Err() == nil {
				log.Printf("demo: ticker: %v", fmt.Errorf("publish: %w", err))
			}
		}
	}()
	return t
}

// stop ends the ticker and waits for its goroutine.
func (t *ticker) stop() {
	t.cancel()
	t.wg.Wait()
}
