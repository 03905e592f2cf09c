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
// and after Disconnect Publish returns ErrNotConnected. A message no
// browser could get is refused the same way, in every mode, with an error
// wrapping ErrInvalidTopic, ErrIDTooLong or ErrEventTooLarge; and
// ErrUnknownTopic (with ExplicitTopics, a topic not created) only when no
// in-process subscription of the topic could get it either: such a topic
// is not for browsers but still a go-micro topic, so the message goes to
// its in-process subscriptions.
//
// Binary bodies (protobuf): browsers get the body base64-encoded when the
// hub has Base64Data or the message has the header Sse-Encoding: base64
// (codec.HeaderEncoding). Otherwise a body that is not UTF-8 goes to the
// in-process subscriptions only, with no error: the browser copy is
// skipped, counted (Stats.BinarySkipped) and logged with the topic.
//
// With the JetStream option, Publish checks the message against this
// node's hub as above, stores it in the stream and returns once JetStream
// acknowledged it (an error wrapping ErrNotAcknowledged otherwise, also
// when broker.PublishContext's context ends first); the hub and the
// in-process subscriptions of every node, this one included, get it from
// the stream.
//
// Handlers get the message as published (go-micro's headers, JSON with its
// trailing newline, binary bodies as they are), each with its own copy of
// the header map and a copy of the body shared among them.
func (b *sseBroker) Publish(topic string, m *mbroker.Message, opts ...mbroker.PublishOption) error {
	if m == nil {
		return ErrNilMessage
	}
	if js := b.jetStreamSide(); js != nil {
		if err := b.checkFed(topic, m); err != nil {
			return fmt.Errorf("sse broker: publish to %q: %w", topic, err)
		}
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

// checkFed returns what this node's hub, fed from JetStream, would refuse
// of m on topic (hub.Check), so that a message no node could deliver is
// refused before it is stored, as Publish without JetStream refuses it. A
// body browsers cannot get (not UTF-8, no base64) is checked without its
// data: it is still for the in-process subscriptions. An unknown topic is
// refused only when no in-process subscription of this node follows it.
func (b *sseBroker) checkFed(topic string, m *mbroker.Message) error {
	b.mu.RLock()
	h, ts := b.hub, b.topics[topic]
	b.mu.RUnlock()
	if h == nil {
		return ErrNotConnected
	}
	ev, err := codec.FromMessageFor(m, h.DataEncoding())
	if errors.Is(err, codec.ErrInvalidUTF8) {
		if ev, err = codec.FromMessage(m); err == nil {
			ev.Data = nil
		}
	}
	if err != nil {
		return err
	}
	err = h.Check(topic, ev)
	if errors.Is(err, hub.ErrUnknownTopic) && ts != nil {
		return nil
	}
	return err
}
