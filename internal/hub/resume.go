package hub

import (
	"encoding/json"
	"fmt"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// ResetEventType is the reserved event type of the frame that starts a
// subscription whose lastEventID could not be placed (ResumeLost). Its
// data is JSON: {"reason":"<Reason...>","lastEventId":"<the id given>"}.
// Publishers should not use it.
const ResetEventType = "sse-reset"

// Reasons a lastEventID is not placeable (Resume.Reason with ResumeLost).
const (
	// ReasonOtherEpoch: a hub id of another epoch (a previous run, or
	// another node).
	ReasonOtherEpoch = "other-epoch"
	// ReasonEvicted: an id of this hub, but events after it have left the
	// history of a subscribed topic (count, bytes or age bound).
	ReasonEvicted = "evicted"
	// ReasonUnknownID: with KeepPublisherIDs, an id that no event in the
	// subscribed topics' history carries.
	ReasonUnknownID = "unknown-id"
	// ReasonInvalid: not an id this hub could have given (garbage, or a
	// sequence number this hub has not reached).
	ReasonInvalid = "invalid-id"
)

// ResumeOutcome says how a subscription's lastEventID was placed.
type ResumeOutcome uint8

const (
	// ResumeNone: no lastEventID was given; only live events follow.
	ResumeNone ResumeOutcome = iota
	// ResumeExact: the events after lastEventID on the subscribed topics
	// were replayed from history, then live events follow, with no gap and
	// no duplicate.
	ResumeExact
	// ResumeLost: lastEventID could not be placed (Resume.Reason says why).
	// The first frame is an event of type ResetEventType, then every event
	// the subscribed topics' history still holds, then live events.
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
// the hub has ExplicitTopics) and queues, in id order, the events of those
// topics after lastEventID still in history: the replay, then live events,
// with no gap and no duplicate at the seam (both happen under the publish
// lock). Resume reports how lastEventID was placed; see ResumeLost for ids
// that cannot be. The first subscriber of a topic makes OnSubscribe run
// before Subscribe returns. Errors: ErrInvalidTopic, ErrUnknownTopic,
// ErrClosed. The caller must Close the subscriber.
func (h *Hub) Subscribe(topics []string, lastEventID string, opts ...SubscribeOption) (*Subscriber, error) {
	if len(topics) == 0 {
		return nil, fmt.Errorf("%w: no topic", ErrInvalidTopic)
	}
	names := make([]string, 0, len(topics))
	for _, name := range topics {
		if err := checkTopic(name); err != nil {
			return nil, err
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
	s := &Subscriber{
		h:      h,
		notify: o.notify,
		topics: make([]*topic, 0, len(names)),
		slots:  make([]int32, 0, len(names)),
	}
	if s.notify == nil {
		s.ready = make(chan struct{}, 1)
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	if h.opts.ExplicitTopics {
		for _, name := range names {
			if h.topics[name] == nil {
				h.mu.Unlock()
				return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, name)
			}
		}
	}
	now := h.clock()
	for _, name := range names {
		t := h.topicLocked(name)
		h.addSubLocked(t, s)
		h.boundLocked(t, now) // age: replay nothing expired
	}
	h.subscribers++
	h.resumeLocked(s, lastEventID)
	queued := len(s.q) // no publish ran yet: only this goroutine touched s.q
	h.delivered += uint64(queued)
	h.mu.Unlock()

	h.runHooks(true)
	if queued > 0 {
		s.signal()
	}
	return s, nil
}

// resumeLocked places lastID, sets s.resume and queues the replay.
func (h *Hub) resumeLocked(s *Subscriber, lastID string) {
	if lastID == "" {
		s.resume = Resume{Outcome: ResumeNone}
		return
	}
	after, reason := h.placeLocked(s, lastID)
	if reason == "" {
		s.resume = Resume{Outcome: ResumeExact}
		h.replayLocked(s, after)
		return
	}
	s.resume = Resume{Outcome: ResumeLost, Reason: reason}
	s.q = append(s.q, &entry{frame: h.resetFrameLocked(s, lastID, reason)})
	h.replayLocked(s, 0)
}

// placeLocked finds the sequence number lastID stands for on s's topics,
// or the reason it cannot.
func (h *Hub) placeLocked(s *Subscriber, lastID string) (after uint64, reason string) {
	if len(lastID) > MaxPublisherIDLen { // longer than any id of ours
		return 0, ReasonInvalid
	}
	epoch, seq, isHubID := parseID(lastID)
	switch {
	case isHubID && epoch == h.epoch:
		if seq > h.seq {
			return 0, ReasonInvalid
		}
	case h.opts.KeepPublisherIDs:
		var found bool
		if seq, found = findPublisherID(s.topics, lastID); !found {
			return 0, ReasonUnknownID
		}
	case isHubID:
		return 0, ReasonOtherEpoch
	default:
		return 0, ReasonInvalid
	}
	for _, t := range s.topics {
		if t.evicted > seq {
			return 0, ReasonEvicted
		}
	}
	return seq, ""
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

// resetFrameLocked encodes the ResetEventType frame for s. Its id is the
// hub id of the highest sequence evicted from s's topics, so that a client
// reconnecting right after it resumes exactly.
func (h *Hub) resetFrameLocked(s *Subscriber, lastID, reason string) []byte {
	var p uint64
	for _, t := range s.topics {
		p = max(p, t.evicted)
	}
	data, _ := json.Marshal(struct {
		Reason      string `json:"reason"`
		LastEventID string `json:"lastEventId"`
	}{reason, lastID})
	ev := codec.Event{ID: formatID(h.epoch, p), Event: ResetEventType, Data: data}
	frame, _ := ev.AppendTo(nil) // valid by construction: json.Marshal gives UTF-8
	return frame
}

// replayLocked queues the events of s's topics with a sequence above
// after, merged in sequence order.
func (h *Hub) replayLocked(s *Subscriber, after uint64) {
	if len(s.topics) == 1 {
		hist := &s.topics[0].hist
		for i := hist.after(after); i < hist.len(); i++ {
			s.q = append(s.q, hist.at(i))
		}
		return
	}
	next := make([]int, len(s.topics))
	for k, t := range s.topics {
		next[k] = t.hist.after(after)
	}
	for {
		best := -1
		var bestSeq uint64
		for k, t := range s.topics {
			if next[k] < t.hist.len() {
				if seq := t.hist.at(next[k]).seq; best < 0 || seq < bestSeq {
					best, bestSeq = k, seq
				}
			}
		}
		if best < 0 {
			return
		}
		s.q = append(s.q, s.topics[best].hist.at(next[best]))
		next[best]++
	}
}
