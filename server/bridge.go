package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/topicwarn"
)

// bridge feeds the server's own hub from a go-micro broker that is not this
// module's (the HTTP broker, NATS, ...): while a topic has events clients,
// the bridge is subscribed to it on the broker, with no queue group so that
// every node gets every message; each message becomes one event
// (codec.FromMessage) published into the hub.
//
// The endpoint holds a topic (acquire) before it subscribes a stream to the
// hub and lets go of it when the stream ends (release). Each topic's
// broker subscription is made by a goroutine of its own, waited for only by
// the streams of that topic: a broker slow to subscribe one topic never
// holds up a stream on another. When the subscription is in place the hub
// is told that the topic had a gap until then (MarkGap), before any stream
// waiting for it is placed: a resume from before is answered with the
// reset event, never as exact. A failed Subscribe is retried with backoff,
// driven by the streams asking for the topic; meanwhile they are refused
// with 503 and Retry-After (ReasonBridge). When the last stream of a topic
// leaves, the subscription lingers (BridgeLinger) so that clients coming
// back after their retry find it in place, with nothing missed.
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
	linger time.Duration

	mu      sync.Mutex
	topics  map[string]*bridged
	pruneAt int // prune topics when it holds this many
	closed  bool
	wg      sync.WaitGroup // subscribe attempts and lingering unsubscribes

	binarySkipped atomic.Uint64 // messages no client got: not UTF-8, no base64
	binaryWarned  topicwarn.Set // topics a binary skip was logged for
}

// bridged is the state of one topic of the bridge; guarded by bridge.mu.
type bridged struct {
	name    string
	refs    int               // streams holding the topic
	sub     broker.Subscriber // set while subscribed
	ready   chan struct{}     // closed when the current attempt finished
	err     error             // the last attempt's error
	retryAt time.Time         // after a failure: no attempt before
	backoff time.Duration     // the wait after the next failure
	linger  *time.Timer       // set while no stream holds a subscribed topic
	lingers uint64            // lingers started: tells a stale timer from the current one
	leaving bool              // the linger is over: unsubscribing (ready is set)
}

// Backoff of a failed bridge Subscribe.
const (
	bridgeMinBackoff = 500 * time.Millisecond
	bridgeMaxBackoff = 30 * time.Second
)

// errBridgeDown is wrapped by acquire when a topic cannot be subscribed on
// the broker; retryAfter says when the next attempt is due.
type errBridgeDown struct {
	topic      string
	err        error
	retryAfter time.Duration
}

func (e *errBridgeDown) Error() string {
	return fmt.Sprintf("sse server: bridge: topic %q not subscribed on the broker: %v", e.topic, e.err)
}

func (e *errBridgeDown) Unwrap() error { return e.err }

func newBridge(b broker.Broker, l logger.Logger, keep func(string) bool, linger time.Duration) *bridge {
	return &bridge{broker: b, logger: l, keep: keep, linger: linger, topics: make(map[string]*bridged), pruneAt: minPrune}
}

// acquire holds topics for one stream and returns once each is subscribed
// on the broker, or with an error (*errBridgeDown, ErrClosed of the hub,
// or done's or ctx's end) having held nothing. Every nil must be paired
// with release(topics).
func (b *bridge) acquire(ctx context.Context, done <-chan struct{}, topics []string) error {
	for i, name := range topics {
		if err := b.acquireOne(ctx, done, name); err != nil {
			b.release(topics[:i])
			return err
		}
	}
	return nil
}

func (b *bridge) acquireOne(ctx context.Context, done <-chan struct{}, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return hub.ErrClosed
	}
	t := b.topics[name]
	if t == nil {
		if len(b.topics) >= b.pruneAt {
			b.pruneLocked()
		}
		t = &bridged{name: name}
		b.topics[name] = t
	}
	t.refs++
	if t.linger != nil {
		t.linger.Stop()
		t.linger = nil
	}
	for waited := false; ; {
		switch {
		case b.closed:
			b.releaseLocked(t)
			return hub.ErrClosed
		case t.sub != nil:
			return nil
		case t.ready == nil && t.err != nil && (waited || time.Now().Before(t.retryAt)):
			// The attempt waited for failed, or the backoff is not over.
			err := &errBridgeDown{topic: name, err: t.err, retryAfter: time.Until(t.retryAt)}
			b.releaseLocked(t)
			return err
		case t.ready == nil: // no attempt running, no unsubscribe under way
			t.ready = make(chan struct{})
			b.wg.Add(1)
			go b.subscribe(t, t.ready)
		}
		ready := t.ready
		b.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
		case <-done:
		}
		b.mu.Lock()
		if ctx.Err() != nil {
			b.releaseLocked(t)
			return ctx.Err()
		}
		select {
		case <-done:
			b.releaseLocked(t)
			return hub.ErrClosed
		default:
		}
		waited = true
	}
}

// subscribe is one attempt to subscribe t on the broker, on a goroutine of
// its own; it closes ready when done.
func (b *bridge) subscribe(t *bridged, ready chan struct{}) {
	defer b.wg.Done()
	sub, err := b.broker.Subscribe(t.name, func(e broker.Event) error { return b.deliver(t.name, e) })
	if err == nil {
		// Whatever was published before now is not in the hub: a resume
		// from before cannot be exact. Marked before any waiting stream
		// is placed.
		if gerr := b.hub.MarkGap(t.name); gerr != nil && !errors.Is(gerr, hub.ErrClosed) {
			logf(b.logger, "sse server: bridge: topic %q: %v", t.name, gerr)
		}
	} else {
		logf(b.logger, "sse server: bridge: subscribe to %q on broker %s: %v", t.name, b.broker.String(), err)
	}
	b.mu.Lock()
	t.ready = nil
	switch {
	case err != nil:
		t.err = err
		t.backoff = min(max(2*t.backoff, bridgeMinBackoff), bridgeMaxBackoff)
		t.retryAt = time.Now().Add(t.backoff)
	case b.closed: // close is waiting for this attempt: undo it
		b.mu.Unlock()
		close(ready)
		b.unsubscribe(t.name, sub)
		return
	default:
		t.sub, t.err, t.backoff = sub, nil, 0
		if t.refs == 0 {
			b.lingerLocked(t)
		}
	}
	b.mu.Unlock()
	close(ready)
}

// pruneLocked forgets the topics that only hold the memory of a failed
// attempt whose backoff is over, so that the map stays bounded by the
// topics in use.
func (b *bridge) pruneLocked() {
	now := time.Now()
	for name, t := range b.topics {
		if t.refs == 0 && t.sub == nil && t.ready == nil && now.After(t.retryAt) {
			delete(b.topics, name)
		}
	}
	b.pruneAt = max(minPrune, 2*len(b.topics))
}

// release lets go of topics held by acquire.
func (b *bridge) release(topics []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, name := range topics {
		if t := b.topics[name]; t != nil {
			b.releaseLocked(t)
		}
	}
}

// releaseLocked lets go of t once; the last stream leaving a subscribed
// topic starts its linger.
func (b *bridge) releaseLocked(t *bridged) {
	t.refs--
	if t.refs > 0 || b.closed {
		return
	}
	switch {
	case t.sub != nil:
		b.lingerLocked(t)
	case t.ready == nil && t.err == nil:
		delete(b.topics, t.name)
	}
}

// lingerLocked keeps t subscribed for the linger, then unsubscribes it
// unless a stream came back (or keep says never).
func (b *bridge) lingerLocked(t *bridged) {
	if b.keep != nil && b.keep(t.name) {
		return
	}
	t.lingers++
	n := t.lingers
	t.linger = time.AfterFunc(b.linger, func() { b.expire(t, n) })
}

// expire is the linger's end: it unsubscribes t from the broker. Streams
// that come meanwhile wait for the unsubscribe to be done, then subscribe
// again (and the hub is told of the gap).
func (b *bridge) expire(t *bridged, n uint64) {
	b.mu.Lock()
	if b.closed || t.linger == nil || t.lingers != n || t.refs > 0 || t.sub == nil {
		b.mu.Unlock()
		return
	}
	t.linger = nil
	sub := t.sub
	t.sub, t.leaving = nil, true
	ready := make(chan struct{})
	t.ready = ready
	b.wg.Add(1)
	b.mu.Unlock()
	defer b.wg.Done()

	b.unsubscribe(t.name, sub)

	b.mu.Lock()
	t.ready, t.leaving = nil, false
	if t.refs == 0 && b.topics[t.name] == t {
		delete(b.topics, t.name)
	}
	b.mu.Unlock()
	close(ready)
}

// unsubscribe unsubscribes sub of topic on the broker, logging a failure.
func (b *bridge) unsubscribe(topic string, sub broker.Subscriber) {
	if sub == nil {
		return
	}
	if err := sub.Unsubscribe(); err != nil {
		logf(b.logger, "sse server: bridge: unsubscribe from %q: %v", topic, err)
	}
}

// deliver publishes one broker message into the hub (codec.FromMessageFor
// with the hub's data encoding: base64 when the server or the message asks
// for it). A message the hub refuses (a header that would inject a field,
// an event larger than the history) is logged, dropped and marked as a gap
// of the topic, not returned: brokers such as the memory broker stop
// delivering to other subscribers on a handler error, and a retry would
// not help. A body that is not UTF-8, with no base64
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
		// Never to be delivered (larger than the history, a header that
		// would inject a field, ...): logged, and marked as a gap, so
		// that a resume from before it is answered with the reset
		// instead of a replay that silently lacks it.
		logf(b.logger, "sse server: bridge: message on %q dropped: %v", topic, err)
		if gerr := b.hub.MarkGap(topic); gerr != nil && !errors.Is(gerr, hub.ErrClosed) {
			logf(b.logger, "sse server: bridge: topic %q: %v", topic, gerr)
		}
	}
	return nil
}

// close stops the lingers, waits for the subscribe attempts and lingering
// unsubscribes under way, and unsubscribes every topic; acquire then fails.
func (b *bridge) close() {
	b.mu.Lock()
	b.closed = true
	for _, t := range b.topics {
		if t.linger != nil {
			t.linger.Stop()
			t.linger = nil
		}
	}
	b.mu.Unlock()
	b.wg.Wait()
	b.mu.Lock()
	topics := b.topics
	b.topics = make(map[string]*bridged)
	b.mu.Unlock()
	for _, t := range topics {
		b.unsubscribe(t.name, t.sub)
	}
}

// isClosed reports whether close was called.
func (b *bridge) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// subscribed returns the number of topics the bridge is subscribed to
// (those being unsubscribed included).
func (b *bridge) subscribed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, t := range b.topics {
		if t.sub != nil || t.leaving {
			n++
		}
	}
	return n
}
