package hub

// MarkGap records that events of the topic called name may have been
// missed up to now: the hub was not fed the topic for a while (a bridge to
// a broker that was not subscribed). A resume from an id at or below the
// hub's current sequence is then not exact on that topic: it gets the
// reset event (codec.ResetEvicted) where the gap is: after the events published
// before MarkGap, with an id of its own (the gap takes the next sequence,
// which no event carries). With ExplicitTopics, a topic not created is
// left alone. Errors: ErrInvalidTopic, ErrClosed.
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
		if h.src == nil {
			// The gap takes a sequence of its own, after every event held:
			// the reset a resume gets there has an id greater than theirs
			// (ids strictly increase on a stream), and a reconnect from it
			// is exact. (A fed hub's sequence is the outside log's.)
			h.seq++
		}
		t.evicted = max(t.evicted, h.seq)
	}
	return nil
}
