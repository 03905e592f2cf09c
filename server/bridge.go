package server

import (
	"errors"
	"sync"
	"sync/atomic"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/topicwarn"
)

// bridge feeds the server's own hub from a go-micro broker that is not this
// module's (the HTTP broker, NATS, ...): while a topic has at least one
// events client, the bridge is subscribed to it on the broker, with no
// queue group so that every node gets every message; each message becomes
// one event (codec.FromMessage) published into the hub. It is driven by
// the hub's OnSubscribe and OnUnsubscribe hooks, which the hub calls one at
// a time.
//
// A topic that a go-micro subscriber of the server without a queue group
// also follows stays subscribed when its last client leaves (keep): brokers
// such as go-micro's HTTP broker register one node per topic and broker, so
// the bridge unsubscribing would unregister the go-micro subscriber too.
type bridge struct {
	broker broker.Broker
	logger logger.Logger
	hub    *hub.Hub                // set before the hub has subscribers
	keep   func(topic string) bool // never unsubscribe topic

	mu     sync.Mutex
	subs   map[string]broker.Subscriber
	closed bool

	binarySkipped atomic.Uint64 // messages no client got: not UTF-8, no base64
	binaryWarned  topicwarn.Set // topics a binary skip was logged for
}

func newBridge(b broker.Broker, l logger.Logger, keep func(string) bool) *bridge {
	return &bridge{broker: b, logger: l, keep: keep, subs: make(map[string]broker.Subscriber)}
}

// subscribe is the hub's OnSubscribe hook: topic got its first client.
func (b *bridge) subscribe(topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.subs[topic] != nil {
		return
	}
	sub, err := b.broker.Subscribe(topic, func(e broker.Event) error { return b.deliver(topic, e) })
	if err != nil {
		logf(b.logger, "sse server: bridge: subscribe to %q on broker %s: %v", topic, b.broker.String(), err)
		return
	}
	b.subs[topic] = sub
}

// unsubscribe is the hub's OnUnsubscribe hook: topic lost its last client.
func (b *bridge) unsubscribe(topic string) {
	if b.keep != nil && b.keep(topic) {
		return
	}
	b.mu.Lock()
	sub := b.subs[topic]
	delete(b.subs, topic)
	b.mu.Unlock()
	if sub != nil {
		if err := sub.Unsubscribe(); err != nil {
			logf(b.logger, "sse server: bridge: unsubscribe from %q: %v", topic, err)
		}
	}
}

// deliver publishes one broker message into the hub (codec.FromMessageFor
// with the hub's data encoding: base64 when the server or the message asks
// for it). A message that cannot become an event (a header that would
// inject a field) is logged and dropped, not returned: brokers such as the
// memory broker stop delivering to other subscribers on a handler error,
// and a retry would not help. A body that is not UTF-8, with no base64
// asked for, is skipped for the clients (the server's go-micro subscribers
// get it from the broker anyway): counted in Stats.BinarySkipped, and
// logged as a warning the first time for each topic, at debug level after.
func (b *bridge) deliver(topic string, e broker.Event) error {
	ev, err := codec.FromMessageFor(e.Message(), b.hub.DataEncoding())
	if err == nil {
		_, err = b.hub.Publish(topic, ev)
	}
	switch {
	case err == nil || errors.Is(err, hub.ErrClosed):
	case errors.Is(err, codec.ErrInvalidUTF8):
		n := b.binarySkipped.Add(1)
		level := logger.DebugLevel
		if b.binaryWarned.First(topic) {
			level = logger.WarnLevel
		}
		l := b.logger
		if l == nil {
			l = logger.DefaultLogger
		}
		l.Logf(level, "sse server: bridge: topic %q: message not sent to clients (%d so far): %v", topic, n, err)
	default:
		logf(b.logger, "sse server: bridge: message on %q dropped: %v", topic, err)
	}
	return nil
}

// close unsubscribes every topic; hooks called later do nothing.
func (b *bridge) close() {
	b.mu.Lock()
	b.closed = true
	subs := b.subs
	b.subs = make(map[string]broker.Subscriber)
	b.mu.Unlock()
	for topic, sub := range subs {
		if err := sub.Unsubscribe(); err != nil {
			logf(b.logger, "sse server: bridge: unsubscribe from %q: %v", topic, err)
		}
	}
}

// topics returns the number of topics the bridge is subscribed to.
func (b *bridge) topics() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
