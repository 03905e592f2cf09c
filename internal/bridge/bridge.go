package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/prunemap"
	"github.com/go-micro-sse/go-micro-sse/internal/topicwarn"
)

// Config is what a Bridge is made of.
type Config struct {
	Broker broker.Broker           // the foreign broker
	Hub    *hub.Hub                // the hub it feeds
	Logger logger.Logger           // nil: go-micro's default logger
	Keep   func(topic string) bool // nil, or true for a topic never to unsubscribe
	Linger time.Duration           // how long a topic stays subscribed after its last stream
}

// Bridge subscribes the topics its streams hold on a broker and publishes
// what it gets into a hub. It is safe for concurrent use.
type Bridge struct {
	c Config

	mu     sync.Mutex
	topics prunemap.Map[string, *topic]
	closed bool
	wg     sync.WaitGroup // subscribe attempts and lingering unsubscribes

	binary topicwarn.Skips // messages no browser got: not UTF-8, no base64
}

// topic is the state of one topic of the bridge; guarded by Bridge.mu.
type topic struct {
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

// Backoff of a failed Subscribe.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// DownError is returned by Acquire when a topic cannot be subscribed on
// the broker now; RetryAfter says when the next attempt is due.
type DownError struct {
	Topic      string
	Err        error
	RetryAfter time.Duration
}

func (e *DownError) Error() string {
	return fmt.Sprintf("sse server: bridge: topic %q not subscribed on the broker: %v", e.Topic, e.Err)
}

func (e *DownError) Unwrap() error { return e.Err }

// New returns a Bridge of c's broker into c's hub.
func New(c Config) *Bridge {
	if c.Logger == nil {
		c.Logger = logger.DefaultLogger
	}
	return &Bridge{c: c}
}

// Broker returns the broker the bridge subscribes on.
func (b *Bridge) Broker() broker.Broker { return b.c.Broker }

// Acquire holds topics for one stream and returns once each is subscribed
// on the broker, or with an error having held nothing: hub.ErrUnknownTopic
// for a topic the hub does not serve (the broker is never subscribed to
// it), a *DownError, hub.ErrClosed when the bridge is closed or done is,
// or ctx's error. Every nil must be paired with Release(topics).
func (b *Bridge) Acquire(ctx context.Context, done <-chan struct{}, topics []string) error {
	for _, name := range topics {
		if !b.c.Hub.HasTopic(name) {
			return fmt.Errorf("%w: %q", hub.ErrUnknownTopic, name)
		}
	}
	for i, name := range topics {
		if err := b.acquireOne(ctx, done, name); err != nil {
			b.Release(topics[:i])
			return err
		}
	}
	return nil
}

func (b *Bridge) acquireOne(ctx context.Context, done <-chan struct{}, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return hub.ErrClosed
	}
	t := b.topics.Get(name)
	if t == nil {
		t = &topic{name: name}
		// Forgotten when pruned: topics that only hold the memory of a
		// failed attempt whose backoff is over.
		now := time.Now()
		b.topics.Add(name, t, func(t *topic) bool {
			return t.refs == 0 && t.sub == nil && t.ready == nil && now.After(t.retryAt)
		})
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
			err := &DownError{Topic: name, Err: t.err, RetryAfter: time.Until(t.retryAt)}
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
func (b *Bridge) subscribe(t *topic, ready chan struct{}) {
	defer b.wg.Done()
	sub, err := b.c.Broker.Subscribe(t.name, func(e broker.Event) error { return b.deliver(t.name, e) })
	if err == nil {
		// Whatever was published before now is not in the hub: a resume
		// from before cannot be exact. Marked before any waiting stream
		// is placed.
		b.markGap(t.name)
	} else {
		b.logf("sse server: bridge: subscribe to %q on broker %s: %v", t.name, b.c.Broker.String(), err)
	}
	b.mu.Lock()
	t.ready = nil
	switch {
	case err != nil:
		t.err = err
		t.backoff = min(max(2*t.backoff, minBackoff), maxBackoff)
		t.retryAt = time.Now().Add(t.backoff)
	case b.closed: // Close is waiting for this attempt: undo it
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

// Release lets go of topics held by Acquire.
func (b *Bridge) Release(topics []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, name := range topics {
		if t := b.topics.Get(name); t != nil {
			b.releaseLocked(t)
		}
	}
}

// releaseLocked lets go of t once; the last stream leaving a subscribed
// topic starts its linger.
func (b *Bridge) releaseLocked(t *topic) {
	t.refs--
	if t.refs > 0 || b.closed {
		return
	}
	switch {
	case t.sub != nil:
		b.lingerLocked(t)
	case t.ready == nil && t.err == nil:
		b.topics.Delete(t.name)
	}
}

// lingerLocked keeps t subscribed for the linger, then unsubscribes it
// unless a stream came back (or Keep says never).
func (b *Bridge) lingerLocked(t *topic) {
	if b.c.Keep != nil && b.c.Keep(t.name) {
		return
	}
	t.lingers++
	n := t.lingers
	t.linger = time.AfterFunc(b.c.Linger, func() { b.expire(t, n) })
}

// expire is the linger's end: it unsubscribes t from the broker. Streams
// that come meanwhile wait for the unsubscribe to be done, then subscribe
// again (and the hub is told of the gap).
func (b *Bridge) expire(t *topic, n uint64) {
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
	if t.refs == 0 && b.topics.Get(t.name) == t {
		b.topics.Delete(t.name)
	}
	b.mu.Unlock()
	close(ready)
}

// unsubscribe unsubscribes sub of topic on the broker, logging a failure.
func (b *Bridge) unsubscribe(topic string, sub broker.Subscriber) {
	if sub == nil {
		return
	}
	if err := sub.Unsubscribe(); err != nil {
		b.logf("sse server: bridge: unsubscribe from %q: %v", topic, err)
	}
}

// deliver publishes one broker message into the hub (codec.FromMessageFor
// with the hub's data encoding: base64 when the server or the message asks
// for it). A message the hub refuses (a header that would inject a field,
// an event larger than the history) is logged, dropped and marked as a gap
// of the topic, not returned: brokers such as the memory broker stop
// delivering to other subscribers on a handler error, and a retry would
// not help. A body that is not UTF-8, with no base64 asked for, is skipped
// for the browsers (the server's go-micro subscribers get it from the
// broker anyway): counted (BinarySkipped), and logged as a warning the
// first time for each topic, at debug level after.
func (b *Bridge) deliver(topic string, e broker.Event) error {
	ev, err := codec.FromMessageFor(e.Message(), b.c.Hub.DataEncoding())
	if err == nil {
		_, err = b.c.Hub.Publish(topic, ev)
	}
	switch {
	case err == nil || errors.Is(err, hub.ErrClosed):
	case errors.Is(err, codec.ErrInvalidUTF8):
		b.binary.Skip(b.c.Logger, "sse server: bridge", topic, err)
	default:
		// Never to be delivered: logged, and marked as a gap, so that a
		// resume from before it is answered with the reset instead of a
		// replay that silently lacks it.
		b.logf("sse server: bridge: message on %q dropped: %v", topic, err)
		b.markGap(topic)
	}
	return nil
}

// markGap tells the hub that topic misses events from here.
func (b *Bridge) markGap(topic string) {
	if err := b.c.Hub.MarkGap(topic); err != nil && !errors.Is(err, hub.ErrClosed) {
		b.logf("sse server: bridge: topic %q: %v", topic, err)
	}
}

// logf logs an error of the bridge's background work.
func (b *Bridge) logf(format string, args ...any) {
	b.c.Logger.Logf(logger.ErrorLevel, format, args...)
}

// Close stops the lingers, waits for the subscribe attempts and lingering
// unsubscribes under way, and unsubscribes every topic; Acquire then
// fails with hub.ErrClosed.
func (b *Bridge) Close() {
	b.mu.Lock()
	b.closed = true
	for _, t := range b.topics.All() {
		if t.linger != nil {
			t.linger.Stop()
			t.linger = nil
		}
	}
	b.mu.Unlock()
	b.wg.Wait()
	b.mu.Lock()
	topics := b.topics.Clear()
	b.mu.Unlock()
	for _, t := range topics {
		b.unsubscribe(t.name, t.sub)
	}
}

// Subscribed returns the number of topics the bridge is subscribed to
// (those being unsubscribed included).
func (b *Bridge) Subscribed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, t := range b.topics.All() {
		if t.sub != nil || t.leaving {
			n++
		}
	}
	return n
}

// BinarySkipped returns the messages no browser got since New: a body
// that is not UTF-8, with no base64 asked for.
func (b *Bridge) BinarySkipped() uint64 { return b.binary.Count() }
