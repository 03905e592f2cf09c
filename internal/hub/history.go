package hub

// entry is one event of a topic's log, allocated once and shared by the log
// and every reader (8-byte references): its place in the hub's sequence,
// when it was published (the hub's monotonic clock), its encoded frame
// (never modified once in the log: readers write it as is) and the
// publisher's id when it was kept.
type entry struct {
	seq   uint64
	at    int64
	frame frame
	pubID string
	// z is the frame's compressed form, nil until a reader wants one
	// (compressed.go); set under the hub's lock, then immutable.
	z *zframe
	// gapBefore > 0: the outside log lost the events of unknown topics up
	// to gapBefore before this one (MarkLost); a reader that has not read
	// that far gets the reset there first.
	gapBefore uint64
}

// size returns what e holds of the history's bytes: its frame and its
// compressed form.
func (e *entry) size() int {
	if e.z != nil {
		return e.frame.len() + e.z.frame.len()
	}
	return e.frame.len()
}

// history is a topic's log: its events in sequence order, in a ring
// buffer that grows by doubling (up to the count bound) and shrinks when
// mostly empty. Every event has an absolute index, its rank among all the
// events ever appended to the topic: base is the absolute index of the
// oldest event held, so a reader's place in the log is one number that
// eviction does not move. It is guarded by the hub's lock.
type history struct {
	buf   []*entry
	head  int
	n     int
	bytes int
	base  uint64
}

// len returns the number of events held.
func (h *history) len() int { return h.n }

// end returns the absolute index after the newest event.
func (h *history) end() uint64 { return h.base + uint64(h.n) }

// at returns the i-th oldest event.
func (h *history) at(i int) *entry {
	j := h.head + i
	if j >= len(h.buf) {
		j -= len(h.buf)
	}
	return h.buf[j]
}

// abs returns the event of absolute index i, which must be held.
func (h *history) abs(i uint64) *entry { return h.at(int(i - h.base)) }

// front returns the oldest event; the history must not be empty.
func (h *history) front() *entry { return h.buf[h.head] }

// back returns the newest event; the history must not be empty.
func (h *history) back() *entry { return h.at(h.n - 1) }

// push appends e, growing the ring when full; limit (the count bound) caps
// the growth.
func (h *history) push(e *entry, limit int) {
	if h.n == len(h.buf) {
		c := max(16, 2*len(h.buf))
		if limit > h.n && c > limit {
			c = limit
		}
		h.resize(c)
	}
	j := h.head + h.n
	if j >= len(h.buf) {
		j -= len(h.buf)
	}
	h.buf[j] = e
	h.n++
	h.bytes += e.size()
}

// pop removes and returns the oldest event; the history must not be empty.
func (h *history) pop() *entry {
	e := h.buf[h.head]
	h.buf[h.head] = nil
	h.head++
	if h.head == len(h.buf) {
		h.head = 0
	}
	h.n--
	h.base++
	h.bytes -= e.size()
	if h.n == 0 {
		h.head = 0
	}
	if len(h.buf) > 64 && h.n < len(h.buf)/4 {
		h.resize(len(h.buf) / 2)
	}
	return e
}

// resize moves the events into a ring of capacity c >= n.
func (h *history) resize(c int) {
	if c == 0 {
		h.buf, h.head = nil, 0
		return
	}
	nb := make([]*entry, c)
	for i := 0; i < h.n; i++ {
		nb[i] = h.at(i)
	}
	h.buf, h.head = nb, 0
}

// after returns the absolute index of the first event whose sequence is
// above seq (end() if none).
func (h *history) after(seq uint64) uint64 {
	lo, hi := 0, h.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if h.at(m).seq <= seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return h.base + uint64(lo)
}

// countIn returns the number of events whose sequence is in (lo, hi].
func (h *history) countIn(lo, hi uint64) int {
	if hi <= lo {
		return 0
	}
	return int(h.after(hi) - h.after(lo))
}
