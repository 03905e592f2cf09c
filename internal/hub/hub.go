package hub

import (
	"bytes"
	"encoding/base64"
	"errors"
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

// Hub holds topics, each with its log (history), and their subscribers,
// each a position in the logs of its topics; it assigns event ids and wakes
// the subscribers that had read everything when an event is appended. It is
// safe for concurrent use. See the package doc for ids, ordering and
// bounds.
type Hub struct {
	// mu is the publish lock: it guards every field below up to the
	// encoding options. A
	// publish holds it to assign its sequence and append; a reader holds
	// it to take a batch of references to frames after its position.
	mu    sync.Mutex
	opts  Options
	epoch string
	src   Source // set: the hub is fed from outside
	// noHistory: a count, bytes or budget bound is zero (see boundLocked).
	noHistory bool
	seq       uint64
	topics    map[string]*topic
	closed    bool
	// start is the sequence of the first record appended to a fed hub (0
	// before): the local log holds nothing below it.
	start uint64

	// The sweep list: topics holding history, least recently published
	// first.
	listHead, listTail *topic
	// forgot is the highest sequence evicted from a topic since forgotten.
	forgot uint64
	// lost is the highest sequence the outside log lost before this hub
	// was fed it (MarkLost): a resume below it is not exact.
	lost uint64

	subscribers           int
	published, delivered  uint64
	cutOffSlow            uint64
	histEvents, histBytes int

	sweepTimer *time.Timer
	sweepArmed bool
	sweepAt    int64

	// The encoding options, read by Publish before it takes the lock.
	enc     atomic.Uint32
	keepIDs atomic.Bool
	// zreaders counts the subscribers that read compressed frames: while
	// there are some, Publish compresses what it appends (compressed.go).
	zreaders atomic.Int32

	// clock returns monotonic nanoseconds; replaced in tests.
	clock func() int64
}

// New returns a hub with the default Options changed by opts. It panics
// with errInvalidEpoch when WithEpoch gives an epoch that is not 1 to
// maxEpochLen characters of [0-9a-z].
func New(opts ...Option) *Hub {
	start := time.Now()
	h := &Hub{
		opts:   defaultOptions(),
		topics: make(map[string]*topic),
		clock:  func() int64 { return int64(time.Since(start)) },
	}
	for _, o := range opts {
		o(&h.opts)
	}
	h.epoch = h.opts.Epoch
	if h.epoch == "" {
		h.epoch = newEpoch()
	} else if err := checkEpoch(h.epoch); err != nil {
		panic(err)
	}
	h.src = h.opts.Source
	h.noHistory = h.opts.HistoryEvents == 0 || h.opts.HistoryBytes == 0 || h.opts.HistoryBudget == 0
	if h.opts.Start > 0 {
		h.startLocked(h.opts.Start)
		h.seq = h.opts.Start - 1
	}
	h.enc.Store(uint32(h.opts.DataEncoding))
	h.keepIDs.Store(h.opts.KeepPublisherIDs)
	return h
}

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
		t = h.newTopicLocked(name)
	}
	t.pinned = true
	return nil
}

// idReserve is the room left before an encoded frame for its id line.
const idReserve = len("id: ") + maxIDLen + len("\n")

// Publish gives ev the next sequence number and its id, appends it once to
// the topic's log and wakes the topic's subscribers that had read
// everything; it returns the id. ev is not modified or retained (its Data
// is copied into the encoded frame). Publish never waits on a subscriber:
// one that falls further behind than the history reaches is ended with
// ErrEvicted. Errors (with the reason, not the topic: the caller gives
// it): ErrInvalidTopic, ErrUnknownTopic (with ExplicitTopics), ErrClosed,
// ErrFed (a hub fed from outside), ErrIDTooLong (with KeepPublisherIDs),
// ErrEventTooLarge (see maxFrameBytes), or a codec error
// (codec.ErrInvalidID, ...) for an event that cannot be encoded.
func (h *Hub) Publish(name string, ev *codec.Event) (string, error) {
	if h.src != nil {
		return "", ErrFed
	}
	return h.add(name, 0, 0, ev)
}

// Check returns the error Publish would return for ev on the topic called
// name, without publishing it, except ErrFed: a publisher into the log
// that feeds the hub (JetStream) checks first what the hub would refuse.
func (h *Hub) Check(name string, ev *codec.Event) error {
	if err := checkTopic(name); err != nil {
		return err
	}
	if ev == nil {
		return errNilEvent
	}
	buf, _, err := h.encode(ev)
	if err != nil {
		return err
	}
	if err := h.fits(len(buf)); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return ErrClosed
	case h.opts.ExplicitTopics && h.topics[name] == nil:
		return ErrUnknownTopic
	}
	return nil
}

// errNilEvent is returned by Publish and Check for a nil event.
var errNilEvent = errors.New("sse: nil event")

// maxFrameBytes returns the largest encoded frame, with its id line,
// that Publish accepts: what the history can hold, the smaller of
// HistoryBytes and HistoryBudget, or without history liveWindowBytes. A
// larger event would be evicted by the bound it was appended under, and
// every reader waiting for it (those that had read everything) ended: it
// is refused with ErrEventTooLarge instead.
func (h *Hub) maxFrameBytes() int {
	if h.noHistory {
		return liveWindowBytes
	}
	return min(h.opts.HistoryBytes, h.opts.HistoryBudget)
}

// fits returns ErrEventTooLarge, wrapped, when a frame of n bytes is
// larger than maxFrameBytes.
func (h *Hub) fits(n int) error {
	if limit := h.maxFrameBytes(); n > limit {
		return fmt.Errorf("%w: a frame of %d bytes, at most %d", ErrEventTooLarge, n, limit)
	}
	return nil
}

// add encodes ev and appends it to topic name with sequence seq (0: the
// next one, a Publish) and publish time at (0: now).
func (h *Hub) add(name string, seq uint64, at int64, ev *codec.Event) (string, error) {
	if err := checkTopic(name); err != nil {
		return "", err
	}
	if ev == nil {
		return "", errNilEvent
	}
	buf, pubID, err := h.encode(ev)
	if err != nil {
		return "", err
	}
	if seq == 0 {
		// The upper bound of the frame's size (the id line's whole room):
		// whether an event fits does not depend on its sequence.
		if err := h.fits(len(buf)); err != nil {
			return "", err
		}
	}
	z, body, compressed := h.compressBody(buf, pubID)

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return "", ErrClosed
	}
	t := h.topicLocked(name)
	if t == nil {
		h.mu.Unlock()
		return "", ErrUnknownTopic
	}
	if seq == 0 {
		seq = h.seq + 1
	} else if seq <= h.seq {
		h.mu.Unlock()
		return "", fmt.Errorf("sse hub: append %d to %q after %d: %w", seq, name, h.seq, ErrStale)
	} else if h.start == 0 {
		h.startLocked(seq)
	}
	h.seq = seq
	if at == 0 {
		at = h.clock()
	}
	start, idLen := 0, 0
	if pubID == "" {
		start, idLen = h.putID(buf, seq)
	}
	ent := &entry{seq: seq, at: at, frame: makeFrame(buf, start), pubID: pubID, gapBefore: t.lostTo}
	if compressed {
		if zf := finishCompressed(z, body, ent.frame.bytes()); h.fits(ent.frame.len()+zf.frame.len()) == nil {
			ent.z = zf // else too large to keep beside the frame: compressed per reader
		}
	}
	t.lostTo = 0
	h.appendLocked(t, ent)
	if !h.sweepArmed {
		h.armSweepLocked()
	}
	h.mu.Unlock()

	if pubID != "" {
		return pubID, nil
	}
	return string(ent.frame.bytes()[len("id: ") : len("id: ")+idLen]), nil
}

// encode encodes ev once, outside the lock (newFrameBuf: makeFrame wraps
// it). Without a publisher id (or without KeepPublisherIDs) the frame is
// encoded after idReserve free bytes where the id line goes once the
// sequence is known (putID).
func (h *Hub) encode(ev *codec.Event) (buf []byte, pubID string, err error) {
	e := *ev
	enc := codec.DataEncoding(h.enc.Load())
	if h.keepIDs.Load() && e.ID != "" {
		if len(e.ID) > MaxPublisherIDLen {
			return nil, "", fmt.Errorf("%w: %d bytes, at most %d", ErrIDTooLong, len(e.ID), MaxPublisherIDLen)
		}
		buf = newFrameBuf(0, len("id: \n")+len(e.ID)+frameSize(&e, enc))
		pubID = e.ID
	} else {
		e.ID = ""
		buf = newFrameBuf(idReserve, frameSize(&e, enc))
	}
	buf, err = e.AppendWith(buf, enc)
	return buf, pubID, err
}

// putID writes the id line of seq into the room encode left and returns
// where the frame starts in buf and the id's length.
func (h *Hub) putID(buf []byte, seq uint64) (start, idLen int) {
	var idb [maxIDLen]byte
	id := appendID(idb[:0], h.epoch, seq)
	end := idReserve
	start = end - len("id: ") - len(id) - len("\n")
	n := copy(buf[start:], "id: ")
	copy(buf[start+n:], id)
	buf[end-1] = '\n'
	return start, len(id)
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

// Close ends every subscriber with ErrClosed (each still reads what the
// logs held, then gets ErrClosed), lets go of all history (the subscribers' references
// keep what they have yet to read) and stops the hub's timer. Publish,
// Append, Subscribe and CreateTopic then return ErrClosed. Close is
// idempotent.
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
				s.end(ErrClosed)
			}
		}
		t.subs = nil
	}
	clear(h.topics)
	h.listHead, h.listTail = nil, nil
	h.subscribers, h.histEvents, h.histBytes = 0, 0, 0
	h.mu.Unlock()
}

// Closed reports whether Close was called.
func (h *Hub) Closed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}
