package hub

// MarkGap records that events of the topic called name may have been
// missed up to now: the hub was not fed the topic for a while (a bridge to
// a broker that was not subscribed). A resume from an id at or below the
// hub's current sequence is then not exact on that topic: it gets the
// reset event (codec.ResetEvicted) where the gap is. With ExplicitTopics, a
// topic not created is left alone. Errors: ErrInvalidTopic, ErrClosed.
func (h *Hub) MarkGap(name string) error {
	if err := checkTopic(name); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if t := h.topicLocked(name); t != nil {
		t.evicted = max(t.evicted, h.seq)
	}
	return nil
}
