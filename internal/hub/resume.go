package hub

import (
	"encoding/json"
	"fmt"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/compress"
)

// ResumeOutcome says how a subscription's lastEventID was placed.
type ResumeOutcome uint8

const (
	// ResumeNone: no lastEventID was given; only live events follow.
	ResumeNone ResumeOutcome = iota
	// ResumeExact: the events after lastEventID on the subscribed topics
	// are read from the logs (and the Source), then live events, with no
	// gap and no duplicate.
	ResumeExact
	// ResumeLost: lastEventID could not be resumed exactly (Resume.Reason
	// says why). A reset frame stands where the gap is: the events the
	// logs hold below it, the reset, then everything after it.
	ResumeLost
)

// String returns "none", "exact" or "lost".
func (o ResumeOutcome) String() string {
	switch o {
	case ResumeNone:
		return "none"
	case ResumeExact:
		return "exact"
	case ResumeLost:
		return "lost"
	}
	return fmt.Sprintf("ResumeOutcome(%d)", uint8(o))
}

// Resume is how a subscription's lastEventID was placed: the outcome and,
// for ResumeLost, one of the Reason constants (for logs and metrics).
type Resume struct {
	Outcome ResumeOutcome
	Reason  string
}

// Subscribe registers a subscriber to topics (created on first use unless
// the hub has ExplicitTopics), positioned after lastEventID: what the logs
// hold after it is read first, then live events, with no gap and no
// duplicate (the position is one sequence for all topics, so replay and
// live are the same reading forward). Nothing is copied: a resume from any
// id, garbage included, costs the subscriber's position and a reset frame.
// Resume reports how lastEventID was placed; see ResumeLost for ids that
// cannot be. Errors: ErrInvalidTopic, ErrUnknownTopic, ErrClosed.
// The caller must Close the subscriber.
func (h *Hub) Subscribe(topics []string, lastEventID string, opts ...SubscribeOption) (*Subscriber, error) {
	if len(topics) == 0 {
		return nil, fmt.Errorf("%w: no topic", ErrInvalidTopic)
	}
	names := make([]string, 0, len(topics))
	for _, name := range topics {
		if err := checkTopic(name); err != nil {
			return nil, fmt.Errorf("%w (topic %.64q)", err, name)
		}
		dup := false
		for _, n := range names {
			if n == name {
				dup = true
				break
			}
		}
		if !dup {
			names = append(names, name)
		}
	}
	var o subscribeOptions
	for _, opt := range opts {
		opt(&o)
	}
	s := &Subscriber{h: h, notify: o.notify, waker: o.waker, owner: o.owner}
	if len(names) <= len(s.one) {
		s.cur = s.one[:0]
	} else {
		s.cur = make([]cursor, 0, len(names))
	}
	if h.src != nil {
		s.source = &fetchState{lastID: lastEventID}
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	ts := make([]*topic, len(names))
	for i, name := range names {
		if ts[i] = h.topicLocked(name); ts[i] == nil {
			h.mu.Unlock()
			return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, name)
		}
	}
	now := h.clock()
	s.subscribedAt = now
	for _, t := range ts {
		h.boundLocked(t, now) // age: read nothing expired
		if h.topics[t.name] != t {
			h.topics[t.name] = t // forgotten by the bound: it is wanted
		}
	}
	h.placeLocked(s, ts, lastEventID, o.rewind)
	for _, t := range ts {
		h.addSubLocked(t, s, t.hist.after(s.pos))
	}
	h.subscribers++
	if o.enc != compress.Identity {
		s.z, s.zreader = compress.NewStream(o.enc), true
		h.zreaders.Add(1)
	}
	due := s.reset != nil || s.gapTo > s.pos
	for _, c := range s.cur {
		due = due || c.next < c.t.hist.end()
	}
	if !due {
		s.listIdleLocked()
	}
	h.mu.Unlock()

	if due {
		s.signal()
	}
	return s, nil
}

// placeLocked sets s's position after lastID on topics ts, its resume
// outcome and, when it cannot resume exactly, its reset frame at the gap.
// Without lastID it is live, rewind events back (Rewind).
func (h *Hub) placeLocked(s *Subscriber, ts []*topic, lastID string, rewind int) {
	if lastID == "" {
		s.resume = Resume{Outcome: ResumeNone}
		s.pos = h.seq
		if n := min(rewind, h.opts.MaxReplay); n > 0 {
			s.pos = h.cutLocked(ts, 0, n)
		}
		return
	}
	pos, reason := h.findLocked(ts, lastID)
	s.pos = pos
	// The gap: events after pos some topic's log no longer holds.
	var gap uint64
	for _, t := range ts {
		if t.evicted > pos {
			gap = max(gap, t.evicted)
		}
	}
	lost := h.lost > pos // the outside log lost events after pos (MarkLost)
	switch {
	case reason == "" && !lost && (gap == 0 || h.src != nil):
		s.resume = Resume{Outcome: ResumeExact}
		s.placed = true
		s.gapTo = gap // filled from the Source
	case reason == "" && h.src != nil:
		// Filled from the Source up to the loss, the reset at its end
		// (lostTo, or the gapBefore of the entries after it), then on.
		s.resume = Resume{Outcome: ResumeLost, Reason: codec.ResetEvicted}
		s.placed = true
		s.gapTo, s.lostTo = gap, h.lost
	case reason == "":
		reason = codec.ResetEvicted
		fallthrough
	default:
		s.resume = Resume{Outcome: ResumeLost, Reason: reason}
		if lost {
			gap = max(gap, h.lost)
		}
		s.reset = &pendingReset{seq: max(gap, pos)}
	}
	h.capReplayLocked(s, ts)
	if s.reset != nil {
		s.reset.frame = h.resetFrame(s.reset.seq, s.resume.Reason, lastID)
	}
}

// findLocked returns the sequence lastID stands for on topics ts, or 0 and
// the reason it cannot be placed.
func (h *Hub) findLocked(ts []*topic, lastID string) (after uint64, reason string) {
	if len(lastID) > MaxPublisherIDLen { // longer than any id of ours
		return 0, codec.ResetInvalid
	}
	epoch, seq, isHubID := parseID(lastID)
	switch {
	case isHubID && epoch == h.epoch:
		if seq > h.seq && h.src == nil {
			return 0, codec.ResetInvalid
		}
		// Fed from outside: an id ahead of the local log (from a node that
		// is ahead) is placed as it is and waits there.
		return seq, ""
	case h.opts.KeepPublisherIDs:
		if seq, found := findPublisherID(ts, lastID); found {
			return seq, ""
		}
		return 0, codec.ResetUnknownID
	case isHubID:
		return 0, codec.ResetOtherEpoch
	default:
		return 0, codec.ResetInvalid
	}
}

// capReplayLocked bounds what s replays from the local logs to MaxReplay
// events: past it, the oldest are skipped and a reset (codec.ResetReplayLimit,
// unless s has one already) stands in their place.
func (h *Hub) capReplayLocked(s *Subscriber, ts []*topic) {
	from := s.pos
	held := 0
	for _, t := range ts {
		held += t.hist.countIn(from, h.seq)
	}
	limit := h.opts.MaxReplay
	if held <= limit {
		return
	}
	lo := h.cutLocked(ts, from, limit)
	s.pos = lo
	if s.reset == nil {
		s.resume = Resume{Outcome: ResumeLost, Reason: codec.ResetReplayLimit}
		s.placed = false
		s.reset = &pendingReset{}
	}
	s.reset.seq = max(s.reset.seq, lo)
	if s.gapTo <= lo {
		s.gapTo = 0
	}
}

// findPublisherID returns the sequence number of the newest event in the
// topics' history whose publisher id is id.
func findPublisherID(topics []*topic, id string) (uint64, bool) {
	var best uint64
	found := false
	for _, t := range topics {
		for i := t.hist.len() - 1; i >= 0; i-- {
			if e := t.hist.at(i); e.pubID == id {
				if !found || e.seq > best {
					best, found = e.seq, true
				}
				break
			}
		}
	}
	return best, found
}

// resetFrame encodes the reset frame standing at seq: its id is the hub id
// of seq, so that a client reconnecting right after it resumes from there.
func (h *Hub) resetFrame(seq uint64, reason, lastID string) frame {
	data, _ := json.Marshal(struct {
		Reason      string `json:"reason"`
		LastEventID string `json:"lastEventId"`
	}{reason, lastID})
	ev := codec.Event{ID: formatID(h.epoch, seq), Event: codec.ResetEventType, Data: data}
	buf, _ := ev.AppendTo(newFrameBuf(0, len(data)+len(codec.ResetEventType)+64)) // valid by construction: json.Marshal gives UTF-8
	return makeFrame(buf, 0)
}
