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
	// Delivered counts the frames subscribers read, live and replayed
	// (including reset frames).
	Delivered uint64
	// CutOffSlow counts the subscribers ended with ErrEvicted: they fell
	// further behind than the history reaches.
	CutOffSlow uint64
	// HistoryEvents is the number of events held in the logs, all topics.
	HistoryEvents int
	// HistoryBytes is the size of the frames held in the logs, all topics,
	// with their compressed forms (what HistoryBudget bounds).
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
