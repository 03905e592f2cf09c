package server

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// The write path. A stream is a position in the hub's logs (its
// subscriber); each wake-up reads the frames after it in bounded batches
// (hub.Subscriber.Read: references to the logs' frames, at most
// hub.BatchBytes) and writes each batch with one write. A stream starts on
// the request's goroutine: the headers and the first batch (after the retry
// frame) go through the http.ResponseWriter. Then a plain-TCP HTTP/1.1
// stream is taken over (http.Hijacker) and handed to the shared writers
// (writepath.Pool), which write a batch as one chunk with one writev of
// the frames themselves, so an idle stream holds no goroutine and no
// buffer; any other stream (HTTP/2, TLS, GoroutinePerStream, a
// ResponseWriter that cannot be taken over) keeps its goroutine
// (writepath ServeGoroutine), which copies each batch into a pooled buffer for one
// write and one flush. Either way a write has a per-write deadline, and
// what one connection holds of its own is bounded by the batch, whatever
// the history holds and whatever id it resumed from.

// stream is one open event stream. The fields a shared writer and the
// hub's Notify touch on every event come first, in the first 64 bytes (a
// stream is 192 bytes, so the allocator aligns it to 64): one cache line
// per stream and event.
type stream struct {
	// The write path's state of the stream (its hub subscriber, the
	// taken-over connection, what its shared writer keeps): first, its
	// hot fields in the first 64 bytes.
	writepath.Stream

	e *endpoint

	r      *http.Request // nil once taken over, unless OnUnsubscribe needs it
	topics []string
	client string // its address for the per-client limits; "" if exempt

	// wake is signalled by notify while the stream has its own goroutine;
	// nil for a stream that may be taken over (it never uses one) until
	// it falls back to its goroutine.
	wake atomic.Pointer[chan struct{}]
	// ctl is how the stream sets its write deadlines while it is written
	// through its ResponseWriter: notify cuts a write short with it when
	// the hub ends the subscriber; cut says it did.
	ctl atomic.Pointer[writeControl]
	// ctlMu is held while ctl changes and while a write is cut from
	// another goroutine: an HTTP/2 ResponseWriter must not be touched
	// after its handler returned, and the handler returns only after the
	// stream let go of ctl (setControl(nil)).
	ctlMu sync.Mutex

	// With Auth and a token that expires (auth_expiry.go): stops the
	// expiry timer; nil without one.
	stopExpiry func() bool
	opened     int64 // unix nanoseconds, for the log

	cut      atomic.Bool // notify cut a write short (rc)
	finished atomic.Bool
	expired  atomic.Bool // the token expired (auth_expiry.go): the stream ends with the expiry event
	http2    bool        // counted in the endpoint's open HTTP/2 streams
	// 192 bytes in all, a size class of 64-aligned objects (TestStreamLayout)
}

// newStream returns a stream of r on topics, not yet subscribed.
func newStream(e *endpoint, r *http.Request, topics []string) *stream {
	s := &stream{e: e, r: r, topics: topics, opened: time.Now().UnixNano()}
	if e.mayTakeOver(r) {
		e.pool.Assign(&s.Stream)
	} else {
		s.goroutineWake()
	}
	return s
}

// mayTakeOver reports whether a stream of r may go to the shared writers:
// only an HTTP/1.1 response is chunked (HTTP/1.0 ends at close), and a TLS
// connection has no descriptor to write to without blocking.
func (e *endpoint) mayTakeOver(r *http.Request) bool {
	return e.pool != nil && r.ProtoMajor == 1 && r.ProtoMinor >= 1 && r.TLS == nil
}

// goroutineWake gives the stream the wake channel of its own goroutine.
func (s *stream) goroutineWake() {
	wake := make(chan struct{}, 1)
	s.wake.Store(&wake)
}

// remoteAddr is the client's address, for the log: the request's, or once
// the request is dropped (taken over), the connection's, which is what the
// request held.
func (s *stream) remoteAddr() string {
	if s.r != nil {
		return s.r.RemoteAddr
	}
	if a := s.Conn.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// wakeOptions says how the hub wakes s: through its shared writer's Waker
// for a stream that may be taken over (the writer hands it on, to its
// goroutine, should it keep one), else through notify.
func (s *stream) wakeOptions() []hub.SubscribeOption {
	if s.Shared() {
		return s.SubscribeOptions(s)
	}
	return []hub.SubscribeOption{hub.Notify(s.notify)}
}

// notify is the hub's Notify callback of a stream with its own goroutine
// (and what its shared writer hands on to one that kept its goroutine):
// frames are due, or the subscriber was ended. A taken-over stream is
// woken by its shared writer instead. It never blocks.
func (s *stream) notify() {
	var wake chan struct{} // nil before the write mode: never ready
	if p := s.wake.Load(); p != nil {
		wake = *p
	}
	select {
	case wake <- struct{}{}:
	default:
		// The goroutine is busy, maybe stuck in a write, or the stream is
		// still writing its first batch (it reads what is due next when
		// its write mode starts): when the hub has
		// ended the subscriber (evicted), cut the write short, from a
		// goroutine (an HTTP/2 deadline may wait on its connection).
		if s.ctl.Load() != nil && s.Sub != nil && errors.Is(s.Sub.Err(), hub.ErrEvicted) && !s.cut.Swap(true) {
			s.cutWrite(time.Unix(1, 0))
		}
	}
}

// cutWrite moves the deadline of the write under way on s, written
// through its ResponseWriter, to at: from a goroutine of its own (an HTTP/2
// deadline may wait on its connection), counted among the endpoint's (the
// stream's own goroutine keeps the count above zero). The caller never
// waits on the connection.
func (s *stream) cutWrite(at time.Time) {
	ctl := s.ctl.Load()
	if ctl == nil {
		return
	}
	s.e.wg.Add(1)
	go func() {
		defer s.e.wg.Done()
		s.ctlMu.Lock()
		defer s.ctlMu.Unlock()
		if s.ctl.Load() == ctl { // not let go of (finished, taken over) in between
			_ = ctl.deadline.SetWriteDeadline(at)
		}
	}()
}

// setControl sets how the stream's writes are cut from other goroutines
// (nil: they are not any more); it waits for a cut under way.
func (s *stream) setControl(ctl *writeControl) {
	s.ctlMu.Lock()
	s.ctl.Store(ctl)
	s.ctlMu.Unlock()
}

// finish unsubscribes the stream and accounts for why it ended (err from
// Read or a write); it runs once, by the stream's owner.
func (s *stream) finish(err error) {
	if !s.finished.CompareAndSwap(false, true) {
		return
	}
	e := s.e
	s.setControl(nil) // no write to cut short any more
	if s.stopExpiry != nil {
		s.stopExpiry()
	}
	s.Sub.Close()
	e.leaveBridge(s.topics)
	e.countEnd(s.endOf(err))
	if s.Conn.Taken() {
		e.shared.Add(-1)
	}
	if s.http2 {
		e.http2.Add(-1)
	}
	e.release(s.client)
	e.logClose(s, err)
	if fn := e.cfg.OnUnsubscribe; fn != nil {
		e.callHook("OnUnsubscribe", s.topics, func() { fn(s.r, s.topics) })
	}
}

// serve writes the first frames of an accepted stream (headers already set
// and status written), then hands it to its write mode until it ends.
func (e *endpoint) serve(w http.ResponseWriter, r *http.Request, s *stream, ctl *writeControl) {
	rc := ctl.rc
	s.setControl(ctl)
	// Tracked from its first write on (a replay's first batch may be
	// large): Shutdown cuts a stalled one short in any write.
	e.track(s)
	defer e.untrack(s)
	bp := writepath.GetBuf()
	b := append((*bp)[:0], e.openFrame...)
	if s.compressed() {
		b = s.Sub.AppendFrame(s.Sub.AppendHeader((*bp)[:0]), e.z.open)
	}
	b, more, err := writepath.ReadCopy(s.Sub, b)
	if err != nil {
		b = s.Sub.AppendTrailer(b) // it ends cleanly at once
	}
	deadline := e.deadline()
	werr := e.wp.WriteResponse(response{w, ctl}, b, deadline, &e.counters)
	writepath.PutBuf(bp, b)
	if werr != nil {
		s.finish(e.writeEnd(s, r.Context(), werr, deadline))
		return
	}
	e.counters.ObserveWrite(s.Sub)
	if err != nil {
		s.finish(err)
		return
	}
	if more {
		s.notify() // the rest goes out from the write mode
	}
	if e.mayTakeOver(r) {
		s.setControl(nil)
		if conn, _, herr := rc.Hijack(); herr == nil {
			// The request goes, unless OnUnsubscribe needs it or it says
			// another address than the connection (the log tells r's).
			if a := conn.RemoteAddr(); e.cfg.OnUnsubscribe == nil && a != nil && a.String() == r.RemoteAddr {
				s.r = nil
			}
			s.Conn.Init(conn)
			e.shared.Add(1)
			e.pool.Add(&s.Stream)
			return
		}
		s.setControl(ctl)
		// It keeps its goroutine after all: a wake-up for what came
		// while it had no channel.
		s.goroutineWake()
		s.notify()
	}
	e.wp.ServeGoroutine(r.Context(), s, *s.wake.Load(), response{w, ctl}, &e.counters)
}
