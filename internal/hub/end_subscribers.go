package hub

// EndSubscribers ends every subscriber of h with ErrClosed (a server's
// streams then tell their clients to come back later, with a retry hint)
// and returns how many it ended. Unlike Close it keeps the topics and their
// history, and h takes new subscribers. The broker calls it while its node
// cannot feed h, so that browsers move to a node that can.
func (h *Hub) EndSubscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0
	}
	var all []*Subscriber
	for _, t := range h.topics {
		all = append(all, t.subs...)
	}
	n := 0
	for _, s := range all {
		if s.removed { // on several topics: ended already
			continue
		}
		h.removeSubLocked(s, nil)
		s.end(ErrClosed)
		n++
	}
	return n
}
