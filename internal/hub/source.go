package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// The seam between the hub and a log kept outside it (NATS JetStream): a
// hub made WithSource is fed with Append, each record carrying the
// outside log's sequence, which is the event's id on every node
// ("<epoch>-<seq>", epoch from WithEpoch). Where a subscriber's position
// lies below what a topic's local log holds, the hub fetches the missing
// range from the Source in bounded batches (one in flight per subscriber,
// at most batchFrames events and about BatchBytes of data), writes it in
// id order and continues from the local log with no gap and no duplicate.

// Record is one event with a sequence given from outside the hub.
type Record struct {
	// Topic is the event's topic.
	Topic string
	// Seq is the event's sequence in the outside log (> 0); sequences
	// increase across all topics, gaps allowed.
	Seq uint64
	// At is when the event was published (for the age bound); zero means
	// now.
	At time.Time
	// Event is the event; its ID is ignored unless the hub keeps publisher
	// ids (KeepPublisherIDs).
	Event codec.Event
}

// Range is what a Fetch asks for.
type Range struct {
	// Topics are the subscriber's topics.
	Topics []string
	// After and UpTo bound the sequences asked for: (After, UpTo].
	After, UpTo uint64
	// MaxEvents bounds the records returned.
	MaxEvents int
	// MaxBytes bounds the data of the records returned, loosely: a Fetch
	// may stop after the record that reaches it (it returns at least one
	// record when the range holds one).
	MaxBytes int
}

// Source serves the events older than a hub's local log. Its Fetch is
// called from a goroutine of the hub's own, one at a time per subscriber;
// ctx is cancelled when the subscriber ends.
type Source interface {
	// Fetch returns, in sequence order, the records of r.Topics whose
	// sequence is in (r.After, r.UpTo], from the first on, stopping only
	// at the end of the range or at a bound (MaxEvents, MaxBytes): fewer
	// records than MaxEvents with less data than MaxBytes means the range
	// is done. An error wrapping ErrGone means the source no longer holds
	// every event of the range; any other error ends the subscriber (its
	// client reconnects with its last id).
	Fetch(ctx context.Context, r Range) ([]Record, error)
}

// fetchedFrame is one frame fetched from the Source and encoded for one
// subscriber.
type fetchedFrame struct {
	seq   uint64
	frame frame
}

// fetchRange is a fetch to make, prepared under the hub's lock.
type fetchRange struct {
	ctx context.Context
	r   Range
	on  map[string]bool
}

// fetchRangeLocked marks a fetch in flight for s and returns it.
func (s *Subscriber) fetchRangeLocked() fetchRange {
	fs := s.source
	fs.fetching = true
	if fs.cancel == nil {
		fs.ctx, fs.cancel = context.WithCancel(context.Background())
	}
	names := s.Topics()
	on := make(map[string]bool, len(names))
	for _, n := range names {
		on[n] = true
	}
	upTo := s.gapTo
	if s.lostTo > s.pos {
		upTo = min(upTo, s.lostTo) // the reset at the loss comes before the rest
	}
	return fetchRange{ctx: fs.ctx, on: on, r: Range{
		Topics: names, After: s.pos, UpTo: upTo,
		MaxEvents: batchFrames, MaxBytes: BatchBytes,
	}}
}

// fetch runs one Fetch for s, encodes what it returns, and hands it to s's
// next Read.
func (s *Subscriber) fetch(f fetchRange) {
	h := s.h
	recs, err := h.src.Fetch(f.ctx, f.r)
	var frames []fetchedFrame
	data := 0
	last := f.r.After
	for i := range recs {
		rec := &recs[i]
		data += len(rec.Event.Data)
		if rec.Seq <= last || rec.Seq > f.r.UpTo || !f.on[rec.Topic] {
			continue // out of order or not asked for: never a duplicate
		}
		buf, pubID, eerr := h.encode(&rec.Event)
		if eerr != nil {
			continue // the log holds what the hub would have refused
		}
		start := 0
		if pubID == "" {
			start, _ = h.putID(buf, rec.Seq)
		}
		frames = append(frames, fetchedFrame{seq: rec.Seq, frame: makeFrame(buf, start)})
		last = rec.Seq
	}
	done := len(recs) < f.r.MaxEvents && data < f.r.MaxBytes
	if done {
		last = f.r.UpTo
	}

	h.mu.Lock()
	fs := s.source
	fs.fetching = false
	switch {
	case s.err != nil:
	case err == nil:
		fs.fetched, fs.fetchedTo = frames, last
	case errors.Is(err, ErrGone):
		// What the source lost is a gap: the reset stands at its end.
		s.reset = &pendingReset{seq: s.gapTo, frame: h.resetFrame(s.gapTo, codec.ResetEvicted, fs.lastID)}
	default:
		s.end(fmt.Errorf("sse hub: fetch (%d, %d] from the source: %w", f.r.After, f.r.UpTo, err))
	}
	signal := s.err == nil
	h.mu.Unlock()
	if signal {
		s.signal()
	}
}

// Append adds r to a hub fed from outside, with its sequence, as Publish
// adds an event, and returns the event's id. A record at or below the last
// sequence appended is ignored with ErrStale (a redelivery after a
// reconnect). The first record appended sets where the local log starts:
// nothing below it is held, so a resume below it is filled from the
// Source. Other errors are Publish's (ErrInvalidTopic, ErrUnknownTopic,
// ErrClosed, a codec error); Append on a hub without a Source is allowed
// (for tests), the sequence is then Append's.
func (h *Hub) Append(r Record) (string, error) {
	if r.Seq == 0 {
		return "", fmt.Errorf("sse hub: append to %q: sequence 0", r.Topic)
	}
	var at int64
	if !r.At.IsZero() {
		at = h.clock() - int64(time.Since(r.At))
		if at == 0 {
			at = 1
		}
	}
	return h.add(r.Topic, r.Seq, at, &r.Event)
}

// startLocked records that the local log starts at seq: every topic, and
// any created later, counts as evicted up to seq-1, and a subscriber
// placed below that has a gap to fill.
func (h *Hub) startLocked(seq uint64) {
	h.start = seq
	h.forgot = max(h.forgot, seq-1)
	for _, t := range h.topics {
		t.evicted = max(t.evicted, seq-1)
		for _, s := range t.subs {
			if s.placed && s.pos < seq-1 {
				s.gapTo = max(s.gapTo, seq-1)
			}
		}
	}
}
