package broker

import (
	"context"
	"fmt"
	"maps"
	"runtime/debug"
	"sync"
	"sync/atomic"

	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"
)

// Subscribe subscribes h to topic in-process: h gets every message
// published to topic through this broker after Subscribe returns (with
// broker.Queue(name), the subscriptions sharing name get each message
// once between them). Browsers do not need a subscription: the hub gets
// every message anyway.
//
// Each subscription has one goroutine, which calls h one message at a
// time, in publish order, from a bounded queue (SubscriberQueue). See the
// package documentation for what happens when h is slow or returns an
// error. Subscribe returns ErrNotConnected before Connect and after
// Disconnect, ErrInvalidTopic for an empty topic and ErrNilHandler for a
// nil h.
func (b *sseBroker) Subscribe(topic string, h mbroker.Handler, opts ...mbroker.SubscribeOption) (mbroker.Subscriber, error) {
	if topic == "" {
		return nil, ErrInvalidTopic
	}
	if h == nil {
		return nil, ErrNilHandler
	}
	o := mbroker.NewSubscribeOptions(opts...)
	if o.Context == nil {
		o.Context = context.Background()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.connected {
		return nil, ErrNotConnected
	}
	s := &subscription{
		b:       b,
		topic:   topic,
		opts:    o,
		handler: h,
		queue:   make(chan *event, subscriberQueue(&b.opts)),
		done:    make(chan struct{}),
		exited:  make(chan struct{}),
	}
	ts := b.topics[topic]
	if ts == nil {
		ts = &topicSubs{}
		b.topics[topic] = ts
	}
	ts.add(s)
	b.live[s] = struct{}{}
	go s.run()
	return s, nil
}

// subscription is one in-process subscription: a bounded queue and the
// goroutine that calls the handler.
type subscription struct {
	b       *sseBroker
	topic   string
	opts    mbroker.SubscribeOptions
	handler mbroker.Handler

	queue  chan *event
	done   chan struct{} // closed by end
	exited chan struct{} // closed when run returns

	stopOnce sync.Once
	warned   atomic.Bool // a drop was logged
}

// Options returns the subscribe options.
func (s *subscription) Options() mbroker.SubscribeOptions { return s.opts }

// Topic returns the topic.
func (s *subscription) Topic() string { return s.topic }

// Unsubscribe ends the subscription: a message published after it returns
// never reaches the handler, and messages still queued are dropped
// (counted). It never waits for the handler: a call in progress (the
// caller's own, when called from the handler) runs to its end on the
// subscription's goroutine, which then exits. Disconnect, called from
// outside the handlers, is what waits for every call to return, as
// nats.go's Unsubscribe and Drain/Close divide it. Unsubscribe is
// idempotent and always returns nil.
func (s *subscription) Unsubscribe() error {
	b := s.b
	b.mu.Lock()
	if ts := b.topics[s.topic]; ts != nil {
		ts.remove(s)
		if ts.len() == 0 {
			delete(b.topics, s.topic)
		}
	}
	s.end()
	b.mu.Unlock()
	return nil
}

// offer queues one message for the handler without waiting; false means the
// queue is full. The caller holds the broker's read lock, so offer never
// runs after the subscription left the broker.
func (s *subscription) offer(topic string, header map[string]string, body []byte) bool {
	ev := &event{topic: topic, msg: &mbroker.Message{Header: maps.Clone(header), Body: body}}
	select {
	case s.queue <- ev:
		return true
	default:
		if !s.warned.Swap(true) {
			s.b.opts.Logger.Logf(logger.WarnLevel, // the caller holds the read lock
				"sse broker: subscription to %q is full (%d messages): dropping messages until its handler catches up", s.topic, cap(s.queue))
		}
		return false
	}
}

// end tells run to return; it is idempotent.
func (s *subscription) end() {
	s.stopOnce.Do(func() { close(s.done) })
}

// wait waits for run to return. It must not be called from the handler.
func (s *subscription) wait() { <-s.exited }

// run calls the handler for each queued message until end.
func (s *subscription) run() {
	defer func() {
		s.b.stats.dropped.Add(uint64(len(s.queue)))
		s.b.mu.Lock()
		delete(s.b.live, s)
		s.b.mu.Unlock()
		close(s.exited)
	}()
	for {
		select {
		case <-s.done:
			return
		case ev := <-s.queue:
			select {
			case <-s.done: // stopped while both were ready
				s.b.stats.dropped.Add(1)
				return
			default:
			}
			s.call(ev)
		}
	}
}

// call calls the handler with ev and deals with its error (see the package
// documentation); a panic in the handler becomes its error.
func (s *subscription) call(ev *event) {
	s.b.stats.delivered.Add(1)
	err := s.safeCall(ev)
	if err == nil {
		return
	}
	ev.err = err
	s.b.stats.handlerErrors.Add(1)
	o := s.b.Options()
	if o.ErrorHandler != nil {
		_ = o.ErrorHandler(ev) // its error has nowhere to go
		return
	}
	o.Logger.Logf(logger.ErrorLevel, "sse broker: handler for topic %q: %v", s.topic, err)
}

// safeCall calls the handler, turning a panic into an error; the panic
// is logged with the topic and the stack (the error handler, if any, still
// gets the error).
func (s *subscription) safeCall(ev *event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sse broker: handler for topic %q panicked: %v", s.topic, p)
			s.b.Options().Logger.Fields(map[string]any{"topic": s.topic}).
				Logf(logger.ErrorLevel, "%v\n%s", err, debug.Stack())
		}
	}()
	return s.handler(ev)
}
