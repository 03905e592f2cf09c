package broker

import (
	"errors"
	"fmt"

	mbroker "go-micro.dev/v4/broker"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Publish publishes m to topic: first into the hub, for every browser on
// the topic (the hub never waits on a browser), then onto the queue of each
// in-process subscription of the topic (never waiting on a handler: a full
// queue drops the message for that subscription and counts it). Publish
// therefore returns without waiting for any handler or browser.
//
// The message becomes one SSE event (codec.FromMessageFor, with the hub's
// data encoding). A header that would inject a field (Sse-Event or Sse-Id
// with CR/LF/NUL, Sse-Retry not a count of milliseconds, Sse-Encoding
// neither text nor base64) is refused with an error wrapping
// codec.ErrInvalidEvent, codec.ErrInvalidID, codec.ErrInvalidRetry or
// codec.ErrInvalidEncoding, and the message goes nowhere. Before Connect
// and after Disconnect Publish returns ErrNotConnected. An error of the hub
// (e.g. hub.ErrInvalidTopic) is returned wrapped and the message goes
// nowhere, except hub.ErrUnknownTopic (the server serves only topics it
// created): such a topic is not for browsers but still a go-micro topic,
// so the message goes to its in-process subscriptions, and the error is
// returned only when there are none.
//
// Binary bodies (protobuf): browsers get the body base64-encoded when the
// server has Base64Data or the message has the header Sse-Encoding: base64
// (codec.HeaderEncoding). Otherwise a body that is not UTF-8 goes to the
// in-process subscriptions only, with no error: the browser copy is
// skipped, counted (Stats.BinarySkipped) and logged with the topic.
//
// With the JetStream option, Publish stores the message in the stream and
// returns once JetStream acknowledged it (an error wrapping
// ErrNotAcknowledged otherwise, also when broker.PublishContext's context
// ends first); the hub and the in-process subscriptions of every node,
// this one included, get it from the stream.
//
// Handlers get the message as published (go-micro's headers, JSON with its
// trailing newline, binary bodies as they are), each with its own copy of
// the header map and a copy of the body shared among them.
func (b *sseBroker) Publish(topic string, m *mbroker.Message, opts ...mbroker.PublishOption) error {
	if m == nil {
		return ErrNilMessage
	}
	if js := b.jetStreamSide(); js != nil {
		return b.publishJetStream(js, topic, m, opts)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if !b.connected {
		return ErrNotConnected
	}
	ev, err := codec.FromMessageFor(m, b.hub.DataEncoding())
	if err == nil {
		_, err = b.hub.Publish(topic, ev)
	}
	ts := b.topics[topic]
	switch {
	case errors.Is(err, codec.ErrInvalidUTF8):
		// Not for browsers, still for handlers (checked again by the hub
		// in case the server changed its encoding in between).
		b.skipBinary(topic, b.opts.Logger, err)
	case err != nil && (ts == nil || !errors.Is(err, hub.ErrUnknownTopic)):
		return fmt.Errorf("sse broker: publish to %q: %w", topic, err)
	}
	if ts != nil {
		if d := ts.deliver(topic, m); d > 0 {
			b.stats.dropped.Add(d)
		}
	}
	b.stats.published.Add(1)
	return nil
}
