package hub

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// Provider is implemented by this module's broker so that the server can
// share its hub instead of keeping its own.
type Provider interface {
	// SSEHub returns the hub the broker publishes into.
	SSEHub() *Hub
}

// Hub holds topics, their history and their subscribers, assigns event ids
// and fans published events out to subscriber queues. It is safe for
// concurrent use. See the package doc for ids, ordering and bounds.
type Hub struct {
	// mu is the publish lock: it guards every field below up to hooks, and
	// is held while a publish assigns its id, appends to history and fans
	// out, which is what puts every queue in id order.
	mu     sync.Mutex
	opts   Options
	epoch  string
	seq    uint64
	topics map[string]*topic
	closed bool

	// The sweep list: topics holding history, least recently published
	// first.
	listHead, listTail *topic
	// forgot is the highest sequence evicted from a topic since forgotten.
	forgot uint64

	subscribers           int
	published, delivered  uint64
	cutOffSlow            uint64
	histEvents, histBytes int

	sweepTimer *time.Timer
	sweepArmed bool
	sweepAt    int64

	hooks []hookCall // queued under mu, called under hookMu

	hookMu sync.Mutex

	// Read by Publish before it takes the lock; set by Apply.
	enc     atomic.Uint32
	keepIDs atomic.Bool

	// clock returns monotonic nanoseconds; replaced in tests.
	clock func() int64
}

// New returns a hub with the default Options changed by opts.
func New(opts ...Option) *Hub {
	start := time.Now()
	h := &Hub{
		opts:   defaultOptions(),
		epoch:  newEpoch(),
		topics: make(map[string]*topic),
		clock:  func() int64 { return int64(time.Since(start)) },
	}
	h.Apply(opts...)
	return h
}

// Apply changes the hub's options. New bounds apply at once to the
// history held; new queue bounds and hooks to what happens next.
func (h *Hub) Apply(opts ...Option) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, o := range opts {
		o(&h.opts)
	}
	h.enc.Store(uint32(h.opts.DataEncoding))
	h.keepIDs.Store(h.opts.KeepPublisherIDs)
	now := h.clock()
	for _, t := range h.topics {
		h.boundLocked(t, now)
	}
	h.sweepArmed = false
	h.armSweepLocked()
}

// Epoch returns the epoch part of the ids this hub assigns: random, fixed
// for the hub's life.
func (h *Hub) Epoch() string { return h.epoch }

// CreateTopic creates the topic called name if it does not exist and pins
// it: a created topic is never forgotten (it lives until Close). With
// ExplicitTopics, only created topics can be published or subscribed to.
func (h *Hub) CreateTopic(name string) error {
	if err := checkTopic(name); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	t := h.topics[name]
	if t == nil {
		t = &topic{name: name, evicted: h.forgot}
		h.topics[name] = t
	}
	t.pinned = true
	return nil
}

// idReserve is the room left before an encoded frame for its id line.
const idReserve = len("id: ") + maxIDLen + len("\n")

// Publish assigns ev the next id, appends it to the topic's history and
// puts it in the queue of every subscriber of the topic, returning the id.
// ev is not modified or retained (its Data is copied into the encoded
// frame). Publish never waits on a subscriber: one whose queue is full is
// cut off with ErrSlow. Errors: ErrInvalidTopic, ErrUnknownTopic (with
// ExplicitTopics), ErrClosed, ErrIDTooLong (with KeepPublisherIDs), or a
// codec error (codec.ErrInvalidID, ...) for
// an event that cannot be encoded.
func (h *Hub) Publish(name string, ev *codec.Event) (string, error) {
	if err := checkTopic(name); err != nil {
		return "", err
	}
	if ev == nil {
		return "", fmt.Errorf("sse hub: publish to %q: nil event", name)
	}
	// Encode once, outside the lock. Without a publisher id, the frame is
	// encoded after idReserve free bytes where the id line goes once the
	// id is known.
	e := *ev
	enc := codec.DataEncoding(h.enc.Load())
	keep := h.keepIDs.Load() && e.ID != ""
	if keep && len(e.ID) > MaxPublisherIDLen {
		return "", fmt.Errorf("sse hub: publish to %q: %w: %d bytes, at most %d", name, ErrIDTooLong, len(e.ID), MaxPublisherIDLen)
	}
	var buf []byte
	if keep {
		buf = make([]byte, 0, len("id: \n")+len(e.ID)+frameSize(&e, enc))
	} else {
		e.ID = ""
		buf = make([]byte, idReserve, idReserve+frameSize(&e, enc))
	}
	buf, err := e.AppendWith(buf, enc)
	if err != nil {
		return "", fmt.Errorf("sse hub: publish to %q: %w", name, err)
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return "", ErrClosed
	}
	t := h.topicLocked(name)
	if t == nil {
		h.mu.Unlock()
		return "", fmt.Errorf("%w: %q", ErrUnknownTopic, name)
	}
	h.seq++
	ent := &entry{seq: h.seq, at: h.clock(), frame: buf}
	idLen := 0
	if keep {
		ent.pubID = e.ID
	} else {
		var idb [maxIDLen]byte
		id := appendID(idb[:0], h.epoch, h.seq)
		idLen = len(id)
		start := idReserve - len("id: ") - idLen - len("\n")
		n := copy(buf[start:], "id: ")
		copy(buf[start+n:], id)
		buf[idReserve-1] = '\n'
		ent.frame = buf[start:]
	}
	h.published++
	h.appendLocked(t, ent)
	h.fanOutLocked(t, ent)
	if !h.sweepArmed {
		h.armSweepLocked()
	}
	hooks := len(h.hooks) > 0
	h.mu.Unlock()

	if hooks {
		h.runHooks(false)
	}
	if keep {
		return e.ID, nil
	}
	return string(ent.frame[len("id: ") : len("id: ")+idLen]), nil
}

// frameSize returns an upper bound, close to exact, of the encoded size of
// e without its id line, so that the frame is allocated once and wastes
// little of what history holds.
func frameSize(e *codec.Event, enc codec.DataEncoding) int {
	n := 1 // the blank line
	if e.Comment != "" {
		n += lines(e.Comment)*len(": \n") + len(e.Comment)
	}
	if e.Event != "" {
		n += len("event: \n") + len(e.Event)
	}
	if e.Retry > 0 {
		n += len("retry: \n") + 20
	}
	if len(e.Data) > 0 {
		if enc == codec.DataBase64 {
			n += len("data: \n") + base64.StdEncoding.EncodedLen(len(e.Data))
		} else {
			n += dataLines(e.Data)*len("data: \n") + len(e.Data)
		}
	}
	return n
}

// lines returns an upper bound of the number of lines in s (a CRLF is
// counted as two breaks).
func lines(s string) int {
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r")
}

// dataLines is lines for data.
func dataLines(b []byte) int {
	return 1 + bytes.Count(b, []byte{'\n'}) + bytes.Count(b, []byte{'\r'})
}

// fanOutLocked puts e in the queue of every subscriber of t, cutting
// off those whose queue is full. It runs backwards so that a subscriber
// cut off (swapped with the last one, already served) does not disturb
// the loop.
func (h *Hub) fanOutLocked(t *topic, e *entry) {
	maxFrames, maxBytes := h.opts.QueueFrames, h.opts.QueueBytes
	n := 0
	for i := len(t.subs) - 1; i >= 0; i-- {
		s := t.subs[i]
		if s.push(e, maxFrames, maxBytes) {
			n++
			continue
		}
		h.cutOffSlow++
		h.removeSubLocked(s)
		s.end(ErrSlow, true)
	}
	h.delivered += uint64(n)
}

// Close ends every subscriber with ErrClosed (frames already queued can
// still be drained), calls OnUnsubscribe for every topic that had
// subscribers, drops all history and stops the hub's timer. Publish,
// Subscribe and CreateTopic then return ErrClosed. Close is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	if h.sweepTimer != nil {
		h.sweepTimer.Stop()
	}
	for _, t := range h.topics {
		for _, s := range t.subs {
			if !s.removed {
				s.removed = true
				s.end(ErrClosed, false)
			}
		}
		if len(t.subs) > 0 {
			h.queueHookLocked(h.opts.OnUnsubscribe, t.name)
		}
		t.subs = nil
		t.hist = history{}
	}
	clear(h.topics)
	h.listHead, h.listTail = nil, nil
	h.subscribers, h.histEvents, h.histBytes = 0, 0, 0
	h.mu.Unlock()
	h.runHooks(true)
}
