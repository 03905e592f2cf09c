package hub

// Stats is a snapshot of a hub's state and counters.
type Stats struct {
	// Topics is the number of topics held (with subscribers, history or
	// created explicitly).
	Topics int
	// Subscribers is the number of subscribers registered.
	Subscribers int
	// Published counts the events published since New.
	Published uint64
	// Delivered counts the frames put in subscriber queues, live and
	// replayed (including sse-reset frames).
	Delivered uint64
	// CutOffSlow counts the subscribers cut off with ErrSlow.
	CutOffSlow uint64
	// HistoryEvents is the number of events held in history, all topics.
	HistoryEvents int
	// HistoryBytes is the size of the frames held in history, all topics.
	HistoryBytes int
}

// Stats returns a snapshot of the hub's state and counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{
		Topics:        len(h.topics),
		Subscribers:   h.subscribers,
		Published:     h.published,
		Delivered:     h.delivered,
		CutOffSlow:    h.cutOffSlow,
		HistoryEvents: h.histEvents,
		HistoryBytes:  h.histBytes,
	}
}
