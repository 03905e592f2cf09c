package hub

import (
	"context"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/compress"
	"github.com/go-micro-sse/go-micro-sse/internal/prefetch"
)

// Batch bounds: one Read returns at most batchFrames frames and at most
// BatchBytes bytes of frames (a single frame larger than BatchBytes is
// returned alone). They bound what one connection holds of its own while
// writing: references to at most BatchBytes of frames (shared with the
// logs while they are held there) and batchFrames slice headers, whatever
// the history holds and whatever id the client resumed from. batchFrames
// plus a chunk header and trailer fit one writev (IOV_MAX is 1024).
const (
	batchFrames = 512
	BatchBytes  = 64 << 10
)

// SubscribeOption configures one subscription.
type SubscribeOption func(*subscribeOptions)

type subscribeOptions struct {
	enc    compress.Encoding
	notify func()
	waker  *Waker
	owner  any
	rewind int
}

// Notify makes the hub call fn when an event is appended to a topic of a
// subscriber that had read everything (Read returned more == false), when
// frames fetched from the Source are ready, and when the subscriber is
// ended (evicted, closed, hub closed). fn is called from the goroutine
// making the change, usually a publisher holding the hub's lock: it must
// not block and must not call the hub, except Subscriber.Err (a
// non-blocking channel send or waking a writer is right). A subscriber
// made with neither Notify nor WakeWith is woken by nothing: its reader
// polls Read.
func Notify(fn func()) SubscribeOption {
	return func(o *subscribeOptions) { o.notify = fn }
}

// Subscriber is one subscription to one or more topics: a position in the
// logs of its topics. Nothing is copied for it: Read hands out references
// to the frames after its position, merged in id order across its topics.
// Read it from one goroutine; Close and Err may be called from any.
type Subscriber struct {
	h      *Hub
	notify func()
	waker  *Waker
	owner  any
	resume Resume
	ended  atomic.Pointer[error]

	// Guarded by the hub's lock.
	cur []cursor  // per topic, in the order given to Subscribe
	one [1]cursor // cur's array for a subscription to one topic
	// pos is the sequence of the last frame read (or skipped: a range
	// filled from the Source, a replay cut short): what is read next lies
	// above it.
	pos uint64
	// gapTo > pos means the events in (pos, gapTo] may be missing from the
	// local logs: the Source fills them, or reset covers them.
	gapTo uint64
	// lostTo > pos: the outside log lost events up to lostTo (MarkLost)
	// and s has not read that far (a resume from below it, or an entry
	// evicted unread that carried it): the Source fills up to it, then
	// the reset stands there.
	lostTo uint64
	reset  *pendingReset
	// placed: the subscription's id was placed (ResumeExact); a fed hub
	// starting above it has a gap to fill for it.
	placed bool
	// idle: the last Read took everything; the next append wakes it (it
	// is in the wait lists of its topics: waker.go).
	idle    bool
	removed bool
	wasRead bool        // Read was called (Follow no longer applies)
	zreader bool        // reads compressed frames: counted in the hub's zreaders
	err     error       // why it ended; the first reason wins
	source  *fetchState // on a hub with a Source only

	// newestAt is the publish time (the hub's clock) of the newest event
	// published after the subscription (at subscribedAt) that Read
	// returned since TakeReadAge, 0 if none; the reader's own.
	newestAt, subscribedAt int64

	// z is the stream's state in its encoding (compressed.go), the
	// reader's own.
	z compress.Stream
}

// cursor is a subscriber's place on one of its topics.
type cursor struct {
	t    *topic
	slot int32  // index of the subscriber in t.subs
	next uint64 // absolute index of the next entry to read in t's log
	// listed is t.wakes+1 while the subscriber is in t's wait list, at
	// listIdx (waker.go).
	listed  uint64
	listIdx int32
}

// fetchState is a subscriber's side of the Source fetches (a hub with a
// Source): one in flight at most.
type fetchState struct {
	lastID    string // as given to Subscribe, for a reset's data
	ctx       context.Context
	cancel    context.CancelFunc
	fetching  bool
	fetched   []fetchedFrame
	fetchedTo uint64 // what the fetched frames cover: pos once they are read
}

// pendingReset is a reset frame waiting for its place in the stream: it is
// read once every held event below seq has been.
type pendingReset struct {
	seq   uint64
	frame frame
}

// givenID returns the lastEventID given to Subscribe on a fed hub (for a
// reset's data), "" elsewhere.
func (s *Subscriber) givenID() string {
	if s.source != nil {
		return s.source.lastID
	}
	return ""
}

// topicIndex returns k such that s.cur[k].t is t.
func (s *Subscriber) topicIndex(t *topic) int {
	for k := range s.cur {
		if s.cur[k].t == t {
			return k
		}
	}
	panic("sse hub: subscriber not on topic " + t.name)
}

// end records why the subscriber ends (the first reason wins), stops its
// Source fetches and signals the reader. The hub's lock is held.
func (s *Subscriber) end(err error) {
	if s.err != nil {
		return
	}
	s.err = err
	s.ended.Store(&err)
	if f := s.source; f != nil {
		if f.cancel != nil {
			f.cancel()
		}
		if err != ErrClosed {
			f.fetched = nil
		}
	}
	if err != ErrClosed {
		s.reset = nil
	}
	s.signal()
}

// signal wakes the reader: its Waker or Notify's function.
func (s *Subscriber) signal() {
	if s.waker != nil {
		s.waker.add(s)
		return
	}
	if s.notify != nil {
		s.notify()
	}
}

// Err returns why the subscriber ended (ErrEvicted, ErrClosed,
// ErrUnsubscribed, a Source error), or nil while it lives. It takes no
// lock: a Notify function may call it.
func (s *Subscriber) Err() error {
	if p := s.ended.Load(); p != nil {
		return *p
	}
	return nil
}

// Prefetch asks the processor for the subscriber's memory ahead of a Read
// (internal/prefetch), without reading it: a reader going through many
// subscribers calls it for the next one before it writes this one's
// batch. (The cursors of a subscription to several topics lie elsewhere
// and are not asked for.)
func (s *Subscriber) Prefetch() {
	prefetch.Range(unsafe.Pointer(s), unsafe.Sizeof(*s))
}

// PrefetchOwner is Prefetch for what Owner reads.
func (s *Subscriber) PrefetchOwner() {
	prefetch.Range(unsafe.Pointer(&s.owner), unsafe.Sizeof(s.owner))
}

// Read appends to dst the next frames after the subscriber's position, in
// id order across its topics (a reset event in its place), at most
// batchFrames of them and BatchBytes of bytes (at least one frame when
// one is due), moves the position past them and returns dst. The frames
// are the logs' own: the caller writes them as they are (one writev) and
// must not modify them; they stay valid after eviction.
//
// more reports that more frames are due at once: call Read again. When it
// is false the subscriber has read everything, and the next frame due
// wakes it (Notify or WakeWith). When the subscriber has ended, Read returns
// dst unchanged and the reason: ErrEvicted (it fell further behind than
// the history reaches), ErrUnsubscribed (Close was called), a Source
// error, or ErrClosed once everything the logs held at Close is read.
func (s *Subscriber) Read(dst [][]byte) (frames [][]byte, more bool, err error) {
	h := s.h
	h.mu.Lock()
	n0 := len(dst)
	dst, more, err, fetch := s.readLocked(dst)
	h.delivered += uint64(len(dst) - n0)
	var r fetchRange
	if fetch {
		r = s.fetchRangeLocked()
	}
	h.mu.Unlock()
	if fetch {
		go s.fetch(r)
	}
	return dst, more, err
}

// readLocked is Read under the hub's lock; fetch says a Source fetch must
// be started.
func (s *Subscriber) readLocked(dst [][]byte) (out [][]byte, more bool, err error, fetch bool) {
	s.wasRead = true
	if s.err != nil && s.err != ErrClosed {
		return dst, false, s.err, false
	}
	frames, size := 0, 0
	room := func(f frame) bool {
		return frames == 0 || frames < batchFrames && size+f.len() <= BatchBytes
	}
	take := func(f frame) {
		frames++
		size += f.len()
		if s.zreader { // a frame of s's own (reset) or from the Source
			z := compressFrame(f)
			s.z.Add(&z.d)
			f = z.frame
		}
		dst = append(dst, f.bytes())
	}
	takeEntry := func(t *topic, e *entry) {
		f := e.frame
		if s.zreader {
			z := s.h.zframeLocked(t, e)
			s.z.Add(&z.d)
			f = z.frame
		}
		dst = append(dst, f.bytes())
		frames++
		size += e.frame.len()
	}

	// Frames fetched from the Source come first: they fill a gap below
	// everything the local logs hold for s.
	if fs := s.source; fs != nil {
		for len(fs.fetched) > 0 {
			f := fs.fetched[0]
			if !room(f.frame) {
				return dst, true, nil, false
			}
			take(f.frame)
			s.pos = f.seq
			fs.fetched[0] = fetchedFrame{}
			fs.fetched = fs.fetched[1:]
		}
		fs.fetched = nil
		if s.lostTo > s.pos && fs.fetchedTo >= s.lostTo {
			// Filled up to a loss of the outside log: its reset.
			f := s.h.resetFrame(s.lostTo, codec.ResetEvicted, fs.lastID)
			if !room(f) {
				return dst, true, nil, false
			}
			take(f)
			s.lostTo = 0
		}
		s.pos = max(s.pos, fs.fetchedTo)
	}

	h := s.h
	for k := range s.cur {
		c := &s.cur[k]
		if t := c.t; c.next < t.hist.base { // unread events evicted (evictLocked ends or marks)
			if h.src == nil && (s.reset == nil || t.evicted >= s.reset.seq) {
				h.cutOffSlow++
				h.removeSubLocked(s, nil)
				s.end(ErrEvicted)
				return dst, false, ErrEvicted, false
			}
			s.gapTo = max(s.gapTo, t.evicted)
			c.next = t.hist.base
		}
	}
	if h.src != nil && s.gapTo > s.pos && (s.reset == nil || s.reset.seq < s.gapTo) {
		// A gap the Source fills: nothing local can be read before it.
		return dst, false, s.err, !s.source.fetching && s.err == nil
	}

	for {
		best, bestSeq := -1, uint64(0)
		for k := range s.cur {
			c := &s.cur[k]
			t, i := c.t, c.next
			if i >= t.hist.end() {
				continue
			}
			e := t.hist.abs(i)
			if e.seq <= s.pos { // below a position placed ahead, or filled from the Source
				if i = t.hist.after(s.pos); i >= t.hist.end() {
					c.next = i
					continue
				}
				c.next, e = i, t.hist.abs(i)
			}
			if best < 0 || e.seq < bestSeq {
				best, bestSeq = k, e.seq
			}
		}
		if r := s.reset; r != nil && (best < 0 || bestSeq > r.seq) {
			if !room(r.frame) {
				return dst, true, nil, false
			}
			take(r.frame)
			s.pos = max(s.pos, r.seq)
			s.reset = nil
			continue
		}
		if best < 0 {
			break
		}
		c := &s.cur[best]
		e := c.t.hist.abs(c.next)
		if e.gapBefore > s.pos { // the outside log lost events before e
			f := h.resetFrame(e.gapBefore, codec.ResetEvicted, s.givenID())
			if !room(f) {
				return dst, true, nil, false
			}
			take(f)
			s.pos = e.gapBefore
		}
		if !room(e.frame) {
			return dst, true, nil, false
		}
		takeEntry(c.t, e)
		c.next++
		s.pos = e.seq
		if e.at >= s.subscribedAt { // live, not replayed
			s.newestAt = e.at
		}
	}
	if s.err != nil { // ErrClosed: everything held is read
		if frames > 0 {
			return dst, true, nil, false
		}
		return dst, false, s.err, false
	}
	s.listIdleLocked()
	return dst, false, nil, false
}

// TakeReadAge returns how long ago the newest event among the frames Read
// returned since the last call was published (for a publish-to-write
// latency: call it once they are written), and forgets it; 0 when they
// held no event published after the subscription (a replay is not late,
// it is history). Call it from the goroutine that reads.
func (s *Subscriber) TakeReadAge() time.Duration {
	at := s.newestAt
	if at == 0 {
		return 0
	}
	s.newestAt = 0
	return time.Duration(s.h.clock() - at)
}

// Resume tells how the subscription's lastEventID was placed.
func (s *Subscriber) Resume() Resume { return s.resume }

// Topics returns the subscription's topics (duplicates removed), in the
// order given to Subscribe.
func (s *Subscriber) Topics() []string {
	names := make([]string, len(s.cur))
	for i, c := range s.cur {
		names[i] = c.t.name
	}
	return names
}

// Close unsubscribes: nothing more is read, and Read returns
// ErrUnsubscribed (or the reason the subscriber had already ended with).
// Close is idempotent.
func (s *Subscriber) Close() {
	h := s.h
	h.mu.Lock()
	h.removeSubLocked(s, nil)
	s.end(ErrUnsubscribed)
	s.reset = nil
	if s.source != nil {
		s.source.fetched = nil
	}
	h.mu.Unlock()
}
