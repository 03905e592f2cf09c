package hub

import "sync"

// Readers for the tests: what production does not need.

// Epoch returns the epoch part of the ids h assigns.
func (h *Hub) Epoch() string { return h.epoch }

// readyChans holds the channel of each subscriber made by subscribeReady.
var readyChans sync.Map // *Subscriber -> chan struct{}

// subscribeReady is Subscribe with a Notify that signals the channel
// Ready returns.
func (h *Hub) subscribeReady(topics []string, lastEventID string) (*Subscriber, error) {
	ch := make(chan struct{}, 1)
	s, err := h.Subscribe(topics, lastEventID, Notify(func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}))
	if err == nil {
		readyChans.Store(s, ch)
	}
	return s, err
}

// Ready returns the channel (capacity 1) of a subscriber made by
// subscribeReady: it receives when the subscriber may have something to
// read after a Read that returned more == false, and when it is ended.
func (s *Subscriber) Ready() <-chan struct{} {
	ch, ok := readyChans.Load(s)
	if !ok {
		panic("Ready of a subscriber not made by subscribeReady")
	}
	return ch.(chan struct{})
}

// Drain appends a copy of every frame due to dst and returns it, reading
// until nothing more is due; when the subscriber has ended it returns the
// reason, with nothing appended (frames read before it are returned
// first, with a nil error). It copies, and what it copies is bounded only
// by the history: for tests; a server writes Read's batches instead.
func (s *Subscriber) Drain(dst []byte) ([]byte, error) {
	var bufs [][]byte
	got := false
	for {
		var more bool
		var err error
		bufs, more, err = s.Read(bufs[:0])
		for _, f := range bufs {
			dst = append(dst, f...)
		}
		got = got || len(bufs) > 0
		if err != nil && got {
			return dst, nil // the reason comes with the next Drain
		}
		if err != nil || !more {
			return dst, err
		}
	}
}
