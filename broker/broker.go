package broker

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/topicwarn"
)

// address is what Address returns: the broker has no network address, its
// messages stay in the process (and go to browsers through the server).
const address = "inproc"

// sseBroker is the broker.Broker NewBroker returns.
type sseBroker struct {
	hub *hub.Hub // guarded by mu; closed by Disconnect, a new one made by Connect
	// current is the hub too, for the cleanup that closes it when the
	// broker is dropped without Disconnect (it must not reach the broker).
	current *atomic.Pointer[hub.Hub]

	mu        sync.RWMutex
	opts      mbroker.Options
	connected bool
	topics    map[string]*topicSubs
	// live holds every subscription whose goroutine has not returned,
	// unsubscribed ones included: Disconnect waits for them.
	live map[*subscription]struct{}
	js   *jetStream // with the JetStream option, from the first Connect

	stats       counters
	binarySkips topicwarn.Skips // bodies no browser got, logged once per topic as a warning
}

// NewBroker returns a go-micro broker.Broker named "sse" with its own hub,
// the one the server of this module serves to browsers. It starts no
// goroutine until Subscribe. Options are go-micro broker options plus this
// package's (SubscriberQueue, and the options of the hub it owns:
// MaxHistoryEvents, HistoryBudget, Base64Data, ...); broker.Addrs,
// broker.Codec, broker.Secure and broker.TLSConfig are kept in Options but
// not used (the broker has no network side and carries headers natively).
//
// Besides broker.Broker, the returned value has Stats() Stats and
// Ready(context.Context) error (see HealthCheck). It is safe for concurrent
// use.
func NewBroker(opts ...mbroker.Option) mbroker.Broker {
	b := &sseBroker{
		current: new(atomic.Pointer[hub.Hub]),
		opts:    *mbroker.NewOptions(),
		topics:  make(map[string]*topicSubs),
		live:    make(map[*subscription]struct{}),
	}
	b.apply(opts)
	if !jetStreamSet(&b.opts) { // with JetStream, Connect makes it with the stream's epoch
		b.hub = hub.New(hubOptions(&b.opts)...)
		b.current.Store(b.hub)
	}
	// A broker dropped without Disconnect frees its hub (history, timer).
	runtime.AddCleanup(b, func(h *atomic.Pointer[hub.Hub]) {
		if hb := h.Load(); hb != nil {
			hb.Close()
		}
	}, b.current)
	return b
}

// Init applies options on top of the current ones; it may be called any
// number of times.
// Hub options (MaxHistoryEvents, ...) are refused with ErrHubOptions, and
// the other options of the call still applied.
func (b *sseBroker) Init(opts ...mbroker.Option) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	had := hubOptions(&b.opts)
	b.apply(opts)
	if now := hubOptions(&b.opts); len(now) != len(had) {
		b.opts.Context = hub.ContextWithOptions(b.opts.Context, had)
		return fmt.Errorf("%w: the hub is made by NewBroker", ErrHubOptions)
	}
	return nil
}

// apply applies options to b.opts; b.mu is held or b is not shared yet.
func (b *sseBroker) apply(opts []mbroker.Option) {
	for _, o := range opts {
		o(&b.opts)
	}
	if b.opts.Context == nil {
		b.opts.Context = context.Background()
	}
	if b.opts.Logger == nil {
		b.opts.Logger = logger.DefaultLogger
	}
}

// Options returns a copy of the current options.
func (b *sseBroker) Options() mbroker.Options {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.opts
}

// Address returns "inproc": the broker listens on nothing; browsers reach
// its topics through the server's /events endpoint. In JetStream mode, once
// connected, it is the URL of the NATS server the connection is on.
func (b *sseBroker) Address() string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.js != nil {
		if u := b.js.nc.ConnectedUrlRedacted(); u != "" {
			return u
		}
	}
	return address
}

// Connect makes Publish and Subscribe usable. It is idempotent and may
// follow a Disconnect: the broker then has a new hub (new epoch, empty
// history), which the server asks for (SSEHub) after connecting it. With
// the JetStream option, Connect finds or creates the stream, makes the hub
// with the stream's epoch (its log starting after the stream's last
// sequence, older events read from the stream) and starts consuming.
func (b *sseBroker) Connect() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if jetStreamSet(&b.opts) {
		return b.connectJetStream()
	}
	if b.hub.Closed() {
		b.hub = hub.New(hubOptions(&b.opts)...)
		b.current.Store(b.hub)
	}
	b.connected = true
	return nil
}

// Disconnect makes Publish and Subscribe return ErrNotConnected and ends
// every in-process subscription: messages still queued for them are
// dropped (counted). It then waits until no handler call runs, of any
// subscription, unsubscribed ones included: call it from outside the
// handlers (from a handler it would wait for itself), as go-micro's
// service Stop does. Last it closes the hub: its streams end, its history
// and timer are freed (a later Connect makes a new hub). Disconnect is
// idempotent.
func (b *sseBroker) Disconnect() error {
	b.mu.Lock()
	b.connected = false
	for _, ts := range b.topics {
		for _, s := range ts.all() {
			s.end()
		}
	}
	clear(b.topics)
	live := make([]*subscription, 0, len(b.live))
	for s := range b.live {
		live = append(live, s)
	}
	h, js := b.hub, b.js
	b.mu.Unlock()
	for _, s := range live {
		s.wait()
	}
	if js != nil {
		js.stop() // before the hub closes: no Append after Close
	}
	if h != nil {
		h.Close()
	}
	return nil
}

// String returns "sse".
func (b *sseBroker) String() string { return "sse" }

// SSEHub returns the broker's hub, the one the server serves to browsers
// (it implements hub.Provider, the server's way to find it; the hub's type
// is internal, so this is no API for users). It is created by NewBroker with the hub
// options given there (MaxHistoryEvents, ...), never changed by anyone
// afterwards (the server serving it takes it as it is), closed by
// Disconnect and made anew by the Connect that follows; a broker dropped
// without Disconnect closes it when collected. With the JetStream option
// it is made by Connect (nil before the first).
func (b *sseBroker) SSEHub() *hub.Hub {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.hub
}

// Stats returns the broker's counters.
func (b *sseBroker) Stats() Stats {
	b.mu.RLock()
	n := 0
	for _, ts := range b.topics {
		n += ts.len()
	}
	js := b.js
	b.mu.RUnlock()
	st := Stats{
		Published:     b.stats.published.Load(),
		Delivered:     b.stats.delivered.Load(),
		Dropped:       b.stats.dropped.Load(),
		HandlerErrors: b.stats.handlerErrors.Load(),
		BinarySkipped: b.binarySkips.Count(),
		Subscriptions: n,
	}
	if js != nil {
		js.addStats(&st)
	}
	return st
}

// compile-time checks.
var (
	_ mbroker.Broker = (*sseBroker)(nil)
	_ hub.Provider   = (*sseBroker)(nil)
)
