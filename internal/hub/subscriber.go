package hub

import "sync"

// SubscribeOption configures one subscription.
type SubscribeOption func(*subscribeOptions)

type subscribeOptions struct {
	notify func()
}

// Notify makes the hub call fn when the subscriber's queue goes from empty
// to non-empty, and when the subscriber is ended (cut off, closed, hub
// closed). fn is called from the goroutine making the change, usually a
// publisher holding the hub's lock: it must not block and must not call
// the hub (a non-blocking channel send or waking a writer is right). With Notify, Ready returns
// nil and no channel is allocated.
func Notify(fn func()) SubscribeOption {
	return func(o *subscribeOptions) { o.notify = fn }
}

// Subscriber is one subscription to one or more topics: a queue of encoded
// frames in id order, bounded by the hub's QueueFrames and QueueBytes.
// Drain it from one goroutine; Close may be called from any.
type Subscriber struct {
	// The fields a publish touches come first, to share a cache line.
	mu sync.Mutex // guards q, spare, live, liveBytes, err
	// q holds the pending frames; the frames are shared with history and
	// other subscribers.
	q []*entry
	// live and liveBytes count the frames queued by Publish since the
	// last Drain; they are what the queue bounds limit (the replay of
	// history is bounded by history itself).
	live, liveBytes int
	notify          func()
	ready           chan struct{}

	// spare is the drained slice kept for reuse.
	spare []*entry
	err   error

	h      *Hub
	resume Resume

	// Guarded by the hub's lock.
	topics  []*topic
	slots   []int32 // index of the subscriber in topics[k].subs
	removed bool
}

// maxSpare is the capacity above which a drained queue is not kept, so an
// idle subscriber returns to a small size after a burst.
const maxSpare = 128

// push queues e unless the queue is full (then false). A frame alone
// in the live queue is always accepted, whatever its size. push is only
// called for a subscriber in its topics' lists, which an ended subscriber
// never is.
func (s *Subscriber) push(e *entry, maxFrames, maxBytes int) bool {
	s.mu.Lock()
	if s.live > 0 && (s.live >= maxFrames || s.liveBytes+len(e.frame) > maxBytes) {
		s.mu.Unlock()
		return false
	}
	wasEmpty := len(s.q) == 0
	s.q = append(s.q, e)
	s.live++
	s.liveBytes += len(e.frame)
	s.mu.Unlock()
	if wasEmpty {
		s.signal()
	}
	return true
}

// end records why the subscriber ends (the first reason wins), drops the
// pending frames when drop is set, and signals the reader.
func (s *Subscriber) end(err error, drop bool) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	if drop {
		clear(s.q)
		s.q, s.spare = nil, nil
		s.live, s.liveBytes = 0, 0
	}
	s.mu.Unlock()
	s.signal()
}

// signal wakes the reader: Notify's function or a token in Ready.
func (s *Subscriber) signal() {
	if s.notify != nil {
		s.notify()
		return
	}
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Ready returns a channel (capacity 1) that receives when the queue goes
// from empty to non-empty and when the subscriber is ended. A receive may
// find nothing to Drain (the frames were drained already). It is nil when
// the subscription was made with Notify.
func (s *Subscriber) Ready() <-chan struct{} { return s.ready }

// Drain appends every pending frame to dst, in id order, and returns it:
// one write of the result sends them all. The frames are copied; dst may be
// reused after the call. When nothing is pending and the subscriber has
// ended, Drain returns dst unchanged and the reason: ErrSlow (cut off; its
// pending frames were dropped), ErrClosed (hub closed; frames queued before
// were drained first) or ErrUnsubscribed (Close was called). Otherwise the
// error is nil, also when nothing was pending.
func (s *Subscriber) Drain(dst []byte) ([]byte, error) {
	s.mu.Lock()
	q := s.q
	if len(q) == 0 {
		err := s.err
		s.mu.Unlock()
		return dst, err
	}
	s.q, s.spare = s.spare, nil
	s.live, s.liveBytes = 0, 0
	s.mu.Unlock()

	n := 0
	for _, e := range q {
		n += len(e.frame)
	}
	if cap(dst)-len(dst) < n {
		dst = append(make([]byte, 0, len(dst)+n), dst...)
	}
	for _, e := range q {
		dst = append(dst, e.frame...)
	}
	clear(q) // let history eviction free the frames

	if cap(q) <= maxSpare {
		s.mu.Lock()
		if s.spare == nil && s.err == nil {
			s.spare = q[:0]
		}
		s.mu.Unlock()
	}
	return dst, nil
}

// Resume tells how the subscription's lastEventID was placed.
func (s *Subscriber) Resume() Resume { return s.resume }

// Topics returns the subscription's topics (duplicates removed), in the
// order given to Subscribe.
func (s *Subscriber) Topics() []string {
	names := make([]string, len(s.topics))
	for i, t := range s.topics {
		names[i] = t.name
	}
	return names
}

// Close unsubscribes: no frame is queued any more, pending ones are
// dropped and Drain returns ErrUnsubscribed (or the reason the subscriber
// had already ended with). The last subscriber of a topic leaving calls
// OnUnsubscribe before Close returns. Close is idempotent.
func (s *Subscriber) Close() {
	h := s.h
	h.mu.Lock()
	h.removeSubLocked(s)
	h.mu.Unlock()
	s.end(ErrUnsubscribed, true)
	h.runHooks(true)
}
