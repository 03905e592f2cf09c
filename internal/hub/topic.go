package hub

import (
	"fmt"
	"unicode/utf8"
)

// maxTopicLen is the longest topic name the hub accepts, in bytes.
const maxTopicLen = 256

// topic is one named stream: its log and the subscribers reading it. All
// fields are guarded by the hub's lock.
type topic struct {
	name string
	subs []*Subscriber
	hist history
	// evicted is the highest sequence number removed from (or never kept
	// in) this topic's log: a reader at or above it misses nothing.
	evicted uint64
	// lostTo > 0: the outside log lost events up to lostTo (MarkLost)
	// since the topic's last entry; its next entry carries it (gapBefore).
	lostTo uint64
	// low is at most the smallest absolute index a subscriber of the topic
	// has yet to read (readers only move forward): evicting below it ends
	// nobody, so an eviction looks at the subscribers only when it reaches
	// low.
	low uint64
	// pinned topics were created with CreateTopic and are never forgotten.
	pinned bool
	// prev and next link the topics holding history, least recently
	// published first (the hub's sweep and budget list).
	prev, next *topic
	listed     bool
	// waiting holds the subscribers that had read everything, one list
	// per Waker (nil: those woken one by one); wakes counts the appends
	// that woke them (waker.go).
	waiting []waitList
	wakes   uint64
}

// checkTopic returns an error wrapping ErrInvalidTopic when name is not an
// acceptable topic name, with the reason (not the name: callers give it).
func checkTopic(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidTopic)
	case len(name) > maxTopicLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidTopic, len(name), maxTopicLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: not UTF-8", ErrInvalidTopic)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: holds a control character", ErrInvalidTopic)
		}
	}
	return nil
}

// CheckTopic returns an error wrapping ErrInvalidTopic when the hub would
// refuse the topic name (what Publish, Append and Subscribe check first),
// so that a publisher into an outside log refuses it before storing.
func CheckTopic(name string) error { return checkTopic(name) }

// topicLocked returns the topic called name, creating it unless the hub
// runs with ExplicitTopics (then nil).
func (h *Hub) topicLocked(name string) *topic {
	if t := h.topics[name]; t != nil {
		return t
	}
	if h.opts.ExplicitTopics {
		return nil
	}
	return h.newTopicLocked(name)
}

// newTopicLocked creates the topic called name. A topic created now may be
// one forgotten earlier, whose evictions are only remembered in h.forgot:
// resuming below it is not exact.
func (h *Hub) newTopicLocked(name string) *topic {
	t := &topic{name: name, evicted: h.forgot, lostTo: h.lost}
	h.topics[name] = t
	return t
}

// maybeForgetLocked drops t from the hub when nothing holds it: no
// subscriber, no history, not created explicitly.
func (h *Hub) maybeForgetLocked(t *topic) {
	if len(t.subs) > 0 || t.hist.len() > 0 || t.pinned || h.topics[t.name] != t {
		return
	}
	delete(h.topics, t.name)
	h.forgot = max(h.forgot, t.evicted)
}

// addSubLocked adds s to t (a cursor is appended to s.cur; next is the
// absolute index s reads next).
func (h *Hub) addSubLocked(t *topic, s *Subscriber, next uint64) {
	s.cur = append(s.cur, cursor{t: t, slot: int32(len(t.subs)), next: next})
	if len(t.subs) == 0 || next < t.low {
		t.low = next
	}
	t.subs = append(t.subs, s)
}

// removeSubLocked takes s out of every topic it is in, forgetting those
// left empty that hold nothing, except keep (the topic an eviction is working on: its caller
// forgets it when done). It is a no-op when s was already removed.
func (h *Hub) removeSubLocked(s *Subscriber, keep *topic) {
	if s.removed {
		return
	}
	s.removed = true
	h.subscribers--
	if s.zreader {
		h.zreaders.Add(-1)
	}
	for k := range s.cur {
		c := &s.cur[k]
		t, i := c.t, int(c.slot)
		t.unwaitLocked(s, c)
		last := len(t.subs) - 1
		m := t.subs[last]
		t.subs[i] = m
		t.subs[last] = nil
		t.subs = t.subs[:last]
		if m != s {
			m.cur[m.topicIndex(t)].slot = int32(i)
		}
		if c := cap(t.subs); c > 64 && len(t.subs) < c/4 {
			t.subs = append(make([]*Subscriber, 0, c/2), t.subs...)
		}
		if len(t.subs) == 0 && t != keep {
			h.maybeForgetLocked(t)
		}
	}
}

// appendLocked adds e to t's log, wakes the subscribers of t that had read
// everything, notes where the slowest of them is (t.low) and enforces the
// bounds.
func (h *Hub) appendLocked(t *topic, e *entry) {
	limit := h.opts.HistoryEvents
	if h.noHistory {
		limit = liveWindowEvents + 1
	}
	for t.hist.len() > 0 && t.hist.len() >= limit {
		h.evictLocked(t) // make room first: the ring never grows past the bound
	}
	t.hist.push(e, limit)
	h.histEvents++
	h.histBytes += e.size()
	h.published++
	h.touchLocked(t)
	if h.noHistory {
		// What every subscriber has read goes at once: t.low must be
		// exact. Elsewhere it stays a lower bound, raised by evictLocked
		// when it gets there, and a publish touches no subscriber.
		low := t.hist.end()
		for _, s := range t.subs {
			low = min(low, s.cur[s.topicIndex(t)].next)
		}
		t.low = low
	}
	t.wakeLocked()
	h.boundLocked(t, e.at)
	h.budgetLocked()
}

// Without history (a count, bytes or budget bound of zero) a topic's log
// holds an event only until every subscriber of the topic has read it (as
// seen at the topic's next publish), and at most a live window behind the
// newest: a reader further behind is ended.
const (
	liveWindowEvents = batchFrames
	liveWindowBytes  = 16 * BatchBytes
)

// boundLocked evicts the oldest events of t until its log is within the
// count, bytes and age bounds at time now (without history: until what is
// left is unread by some subscriber, within the live window), then forgets
// t if it holds nothing.
func (h *Hub) boundLocked(t *topic, now int64) {
	o := &h.opts
	cutoff := int64(-1 << 63)
	if o.HistoryAge > 0 {
		cutoff = now - int64(o.HistoryAge)
	}
	events, bytes := o.HistoryEvents, o.HistoryBytes
	if h.noHistory {
		events, bytes = liveWindowEvents, liveWindowBytes
	}
	for t.hist.len() > 0 && (t.hist.len() > events || t.hist.bytes > bytes ||
		t.hist.front().at <= cutoff || h.noHistory && t.hist.base < t.low) {
		h.evictLocked(t)
	}
	if t.hist.len() == 0 {
		h.unlistLocked(t)
		h.maybeForgetLocked(t)
	}
}

// budgetLocked evicts the oldest events of the least recently published
// topics until all logs together are within HistoryBudget (0: no history,
// bounded per topic by the live window instead).
func (h *Hub) budgetLocked() {
	if h.opts.HistoryBudget == 0 {
		return
	}
	for h.histBytes > h.opts.HistoryBudget && h.listHead != nil {
		t := h.listHead
		for t.hist.len() > 0 && h.histBytes > h.opts.HistoryBudget {
			h.evictLocked(t)
		}
		if t.hist.len() == 0 {
			h.unlistLocked(t)
			h.maybeForgetLocked(t)
		}
	}
}

// evictLocked removes the oldest event of t's log. A subscriber that had
// not read it yet has fallen behind the history: it is ended with
// ErrEvicted, unless the event lies inside a gap its pending reset already
// covers, or the hub has a Source to fetch it from.
func (h *Hub) evictLocked(t *topic) {
	i := t.hist.base
	e := t.hist.pop()
	t.evicted = e.seq
	h.histEvents--
	h.histBytes -= e.size()
	if i < t.low || len(t.subs) == 0 {
		return
	}
	low := ^uint64(0)
	for j := len(t.subs) - 1; j >= 0; j-- { // backwards: removal swaps with the last
		s := t.subs[j]
		c := &s.cur[s.topicIndex(t)]
		if c.next <= i {
			switch {
			case s.reset != nil && e.seq < s.reset.seq, h.src != nil:
				// Covered by the reset, or fetched from the source later.
				c.next = i + 1
				s.gapTo = max(s.gapTo, e.seq)
				if e.gapBefore > s.pos && h.src != nil {
					s.lostTo = max(s.lostTo, e.gapBefore)
				}
			default:
				h.cutOffSlow++
				h.removeSubLocked(s, t)
				s.end(ErrEvicted)
				continue
			}
		}
		low = min(low, c.next)
	}
	t.low = low
}

// touchLocked moves t to the back of the sweep list (most recently
// published).
func (h *Hub) touchLocked(t *topic) {
	if t.listed && h.listTail == t {
		return
	}
	h.unlistLocked(t)
	t.prev = h.listTail
	if h.listTail != nil {
		h.listTail.next = t
	} else {
		h.listHead = t
	}
	h.listTail = t
	t.listed = true
}

// unlistLocked takes t out of the sweep list.
func (h *Hub) unlistLocked(t *topic) {
	if !t.listed {
		return
	}
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		h.listHead = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		h.listTail = t.prev
	}
	t.prev, t.next, t.listed = nil, nil, false
}
