package server

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// The write path. A stream starts on the request's goroutine: the headers
// and the first write (the retry frame and any replayed history) go through
// the http.ResponseWriter. Then a plain-TCP HTTP/1.1 stream is taken over
// (http.Hijacker) and handed to the shared writers (writer_pool.go), so an
// idle one holds no goroutine and no buffer; any other stream (HTTP/2, TLS,
// GoroutinePerStream, a ResponseWriter that cannot be taken over) keeps its
// goroutine (writer_stream.go). Either way every wake-up drains all pending
// frames of the stream into one pooled buffer, written with one write and
// one flush under a per-write deadline.

// stream is one open event stream.
type stream struct {
	e      *endpoint
	r      *http.Request // nil once taken over, unless OnUnsubscribe needs it
	topics []string
	sub    *hub.Subscriber

	// wake is signalled by notify while the stream has its own goroutine.
	wake chan struct{}
	// w is the shared writer once the stream is taken over; then notify
	// queues the stream there.
	w atomic.Pointer[writer]

	// Taken-over streams only.
	conn      net.Conn
	raw       syscall.RawConn // nil when conn has no file descriptor
	lastWrite atomic.Int64    // unix nanoseconds
	queued    bool            // in w.ready; guarded by w.mu
	flushing  bool            // a flusher goroutine owns the stream; guarded by w.mu
	endErr    error           // why the stream must end; set by its owner
	ended     bool            // the writer ended it; it may still sit in w.ready

	finished atomic.Bool
}

// newStream returns a stream of r on topics, not yet subscribed.
func newStream(e *endpoint, r *http.Request, topics []string) *stream {
	return &stream{e: e, r: r, topics: topics, wake: make(chan struct{}, 1)}
}

// notify is the hub's Notify callback: the queue became non-empty or the
// subscriber was cut off. It never blocks.
func (s *stream) notify() {
	if w := s.w.Load(); w != nil {
		w.enqueue(s)
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// finish unsubscribes the stream and accounts for why it ended (err from
// Drain or a write); it runs once, by the stream's owner.
func (s *stream) finish(err error) {
	if !s.finished.CompareAndSwap(false, true) {
		return
	}
	e := s.e
	s.sub.Close()
	switch {
	case errors.Is(err, hub.ErrSlow):
		e.cutOffSlow.Add(1)
	case errors.Is(err, errWrite):
		e.writeFailed.Add(1)
	}
	if s.conn != nil {
		e.shared.Add(-1)
	}
	e.release()
	if fn := e.cfg.OnUnsubscribe; fn != nil {
		e.callHook("OnUnsubscribe", s.topics, func() { fn(s.r, s.topics) })
	}
}

// errWrite marks a stream ended by a failed or timed-out write.
var errWrite = errors.New("sse server: write to client failed")

// errGone marks a stream whose client closed the connection.
var errGone = errors.New("sse server: client closed the connection")

// serve writes the first frames of an accepted stream (headers already set
// and status written), then hands it to its write mode until it ends.
func (e *endpoint) serve(w http.ResponseWriter, r *http.Request, s *stream) {
	rc := http.NewResponseController(w)
	bp := getBuf()
	b := append((*bp)[:0], e.openFrame...)
	b, err := s.sub.Drain(b)
	werr := e.writeResponse(w, rc, b, e.deadline())
	putBuf(bp, b)
	if werr != nil {
		s.finish(errWrite)
		return
	}
	if err != nil {
		s.finish(err)
		return
	}
	// Only an HTTP/1.1 response is chunked (HTTP/1.0 ends at close), and a
	// TLS connection has no descriptor to write to without blocking.
	if e.pool != nil && r.ProtoMajor == 1 && r.ProtoMinor >= 1 && r.TLS == nil {
		if conn, _, herr := rc.Hijack(); herr == nil {
			if e.cfg.OnUnsubscribe == nil {
				s.r = nil
			}
			e.pool.add(s, conn)
			return
		}
	}
	e.serveGoroutine(w, r, rc, s)
}

// writeResponse writes b with one write and one flush through the
// ResponseWriter under a per-write deadline.
func (e *endpoint) writeResponse(w http.ResponseWriter, rc *http.ResponseController, b []byte, deadline time.Time) error {
	if err := rc.SetWriteDeadline(deadline); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// bufPool holds the write buffers: a stream holds one only while writing.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuf is the largest buffer returned to bufPool; a bigger one (a
// large replay) is left to the garbage collector.
const maxPooledBuf = 1 << 20

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// putBuf returns the buffer b grew from *bp to the pool.
func putBuf(bp *[]byte, b []byte) {
	if cap(b) > maxPooledBuf {
		return
	}
	*bp = b[:0]
	bufPool.Put(bp)
}
