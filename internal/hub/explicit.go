package hub

import "fmt"

// Explicit topics (ExplicitTopics): CreateTopic (hub.go) makes them,
// DeleteTopic removes them, HasTopic tells whether one exists.

// HasTopic reports whether a stream on the topic called name would find
// it: always without ExplicitTopics, else once created.
func (h *Hub) HasTopic(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.opts.ExplicitTopics || h.topics[name] != nil
}

// DeleteTopic removes the topic called name, the counterpart of
// CreateTopic: its subscribers end with ErrClosed (their streams tell the
// clients to come back, and with ExplicitTopics they then find the topic
// gone), its history is dropped and it is no longer pinned. What was
// evicted is remembered, so a resume from before the deletion is never
// exact. Errors: ErrInvalidTopic, ErrUnknownTopic (no such topic),
// ErrClosed.
func (h *Hub) DeleteTopic(name string) error {
	if err := checkTopic(name); err != nil {
		return err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	t := h.topics[name]
	if t == nil {
		h.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownTopic, name)
	}
	for len(t.subs) > 0 {
		s := t.subs[len(t.subs)-1]
		h.removeSubLocked(s, t)
		s.end(ErrClosed)
	}
	for t.hist.len() > 0 {
		h.evictLocked(t)
	}
	h.unlistLocked(t)
	t.pinned = false
	h.maybeForgetLocked(t)
	h.mu.Unlock()
	return nil
}
