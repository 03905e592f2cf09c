package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go-micro.dev/v4/client"
	"go-micro.dev/v4/codec/bytes"
	"go-micro.dev/v4/metadata"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// topic is the topic the page follows (sse-connect="/events?stream=feed").
const topic = "feed"

// feed publishes the fragments through a go-micro client, hence through the
// go-micro broker: an "item" event, then a "status" event, for each entry.
type feed struct {
	client client.Client

	mu sync.Mutex // one entry at a time: items and statuses stay in order
	n  int
}

// publish publishes the next entry with text; it returns the entry and its
// fragment.
func (f *feed) publish(ctx context.Context, text string) (item, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it := item{N: f.n + 1, Text: text, At: time.Now()}
	frag, err := render(itemFragment, it)
	if err != nil {
		return it, nil, fmt.Errorf("htmx: render item: %w", err)
	}
	card, err := render(statusFragment, status{Items: it.N, Last: it})
	if err != nil {
		return it, nil, fmt.Errorf("htmx: render status: %w", err)
	}
	if err := f.send(ctx, "item", frag); err != nil {
		return it, nil, err
	}
	f.n = it.N
	return it, frag, f.send(ctx, "status", card)
}

// send publishes html byte for byte as the data of one event of type typ.
func (f *feed) send(ctx context.Context, typ string, html []byte) error {
	ctx = metadata.Set(ctx, codec.HeaderEvent, typ)
	msg := f.client.NewMessage(topic, &bytes.Frame{Data: html}, client.WithMessageContentType("application/octet-stream"))
	if err := f.client.Publish(ctx, msg); err != nil {
		return fmt.Errorf("htmx: publish %s: %w", typ, err)
	}
	return nil
}

// tick publishes an entry every interval until ctx ends.
func (f *feed) tick(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if _, _, err := f.publish(ctx, "tick at "+now.Format(time.TimeOnly)); err != nil {
				fmt.Println(err)
			}
		}
	}
}
