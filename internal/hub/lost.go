package hub

// MarkLost records that the outside log lost every event up to upTo that
// this hub was not fed yet (a fed hub's feed saw its log jump past them:
// limits or a deletion removed them before the node consumed them). Which
// topics they were of is unknown, so every subscriber that has not read
// that far gets the reset (codec.ResetEvicted, id of upTo) before the next
// event of each of its topics, and a resume from below upTo is ResumeLost
// with the reset at the gap: a stream never skips them silently. Records
// appended later must be above upTo. An upTo at or below the last sequence
// appended is ignored. Errors: ErrClosed.
func (h *Hub) MarkLost(upTo uint64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if upTo <= h.seq {
		return nil
	}
	if h.start == 0 { // the local log starts after the loss
		h.start = upTo + 1
	}
	h.seq = upTo
	h.lost = upTo
	for _, t := range h.topics {
		t.lostTo = upTo
	}
	return nil
}
