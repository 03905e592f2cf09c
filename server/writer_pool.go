package server

import (
	"errors"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Shared writers for HTTP/1.1 streams taken over after their headers.
//
// A taken-over stream holds no goroutine and no buffer while idle: it is a
// net.Conn, its hub subscriber and a few words here. The hub's Notify
// queues it on its writer (one of GOMAXPROCS), which drains all its pending
// frames into a pooled buffer and writes them as one HTTP/1.1 chunk with
// one non-blocking write(2). The response keeps the chunked transfer
// encoding net/http chose for it (the headers, the retry frame and any
// replay went out through net/http as the first chunk), so any HTTP/1.1
// client, browsers and Go's http.Client included, reads it; the stream
// ends with the last-chunk marker, and the connection is then closed.
//
// A client that does not take a whole write (its socket buffer is full) is
// handed to a flusher goroutine that writes the rest under the per-write
// deadline, so it never holds back the other streams of its writer; the
// stream costs a goroutine only while stuck, and the hub cuts it off if its
// queue fills meanwhile. A closed client is found by a failing write: the
// next frame or heartbeat (no reader goroutine per connection).

// chunkHead is the room kept before the frames of a write for the chunk
// size line: up to 8 hex digits and CRLF.
const chunkHead = 10

// lastChunk ends a chunked response body.
var lastChunk = []byte("0\r\n\r\n")

// writerPool is the set of shared writers of an endpoint.
type writerPool struct {
	e       *endpoint
	writers []*writer
	next    atomic.Uint64

	heartbeatChunk []byte // the heartbeat frame as one chunk
	byeChunk       []byte // the shutdown frame as one chunk, then the last chunk
}

// newWriterPool returns GOMAXPROCS writers, started on their first stream.
func newWriterPool(e *endpoint) *writerPool {
	p := &writerPool{e: e, writers: make([]*writer, runtime.GOMAXPROCS(0))}
	for i := range p.writers {
		p.writers[i] = &writer{p: p, wake: make(chan struct{}, 1), conns: make(map[*stream]struct{})}
	}
	p.heartbeatChunk = appendChunk(nil, e.heartbeatFrame)
	p.byeChunk = append(appendChunk(nil, e.byeFrame), lastChunk...)
	return p
}

// appendChunk appends frames as one HTTP/1.1 chunk.
func appendChunk(dst, frames []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(frames)), 16)
	dst = append(dst, '\r', '\n')
	dst = append(dst, frames...)
	return append(dst, '\r', '\n')
}

// chunkInPlace frames b (chunkHead bytes of room, then frames) as one
// chunk; it returns the buffer (to pool) and the bytes to write.
func chunkInPlace(b []byte) (full, out []byte) {
	var hex [16]byte
	h := strconv.AppendInt(hex[:0], int64(len(b)-chunkHead), 16)
	start := chunkHead - len(h) - 2
	copy(b[start:], h)
	b[chunkHead-2], b[chunkHead-1] = '\r', '\n'
	full = append(b, '\r', '\n')
	return full, full[start:]
}

// add hands a taken-over stream to a writer.
func (p *writerPool) add(s *stream, conn net.Conn) {
	s.conn = conn
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
		}
	}
	s.lastWrite.Store(time.Now().UnixNano())
	p.e.shared.Add(1)
	w := p.writers[p.next.Add(1)%uint64(len(p.writers))]
	w.start.Do(func() {
		p.e.wg.Add(1) // the caller holds the endpoint's WaitGroup above zero
		go w.run()
	})
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		s.say(p.byeChunk, p.e.byeDeadline())
		conn.Close()
		s.finish(hub.ErrClosed)
		return
	}
	w.conns[s] = struct{}{}
	s.w.Store(w)
	s.queued = true // drain whatever came since the first write
	w.ready = append(w.ready, s)
	w.mu.Unlock()
	w.signal()
}

// stop is called once the endpoint's done channel is closed; the writers
// see it and end their streams.
func (p *writerPool) stop() {
	for _, w := range p.writers {
		w.signal()
	}
}

// writer owns many taken-over streams and writes their frames.
type writer struct {
	p     *writerPool
	start sync.Once
	wake  chan struct{} // cap 1: something is ready

	mu     sync.Mutex
	ready  []*stream // streams with pending frames
	conns  map[*stream]struct{}
	closed bool

	spare, due []*stream // reused by run only
}

// signal wakes the writer; it never blocks.
func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// enqueue marks s as having pending frames; called by the hub's Notify.
func (w *writer) enqueue(s *stream) {
	w.mu.Lock()
	if s.queued || w.closed {
		w.mu.Unlock()
		return
	}
	if _, ok := w.conns[s]; !ok { // ended
		w.mu.Unlock()
		return
	}
	s.queued = true
	w.ready = append(w.ready, s)
	w.mu.Unlock()
	w.signal()
}

// run is the writer's goroutine.
func (w *writer) run() {
	defer w.p.e.wg.Done()
	tick := time.NewTicker(w.p.e.heartbeatTick())
	defer tick.Stop()
	for {
		select {
		case <-w.p.e.done:
			w.shutdown()
			return
		case <-w.wake:
			w.flushReady()
		case <-tick.C:
			w.heartbeat()
		}
	}
}

// flushReady writes every ready stream.
func (w *writer) flushReady() {
	w.mu.Lock()
	batch := w.ready
	w.ready = w.spare[:0]
	n := 0
	for _, s := range batch {
		s.queued = false
		if !s.flushing { // its flusher queues it again when done
			batch[n] = s
			n++
		}
	}
	w.mu.Unlock()
	for _, s := range batch[:n] {
		w.flush(s)
	}
	clear(batch)
	w.spare = batch[:0]
}

// flush drains all pending frames of s and writes them as one chunk.
func (w *writer) flush(s *stream) {
	if s.ended {
		return
	}
	if s.endErr != nil {
		w.end(s, s.endErr)
		return
	}
	bp := getBuf()
	b := append((*bp)[:0], make([]byte, chunkHead)...)
	b, err := s.sub.Drain(b)
	b = append(b, w.p.e.endFrame(s, err)...)
	s.endErr = err
	if len(b) == chunkHead {
		putBuf(bp, b)
	} else {
		full, out := chunkInPlace(b)
		switch w.send(s, bp, full, out) {
		case sendFailed, sendFlushing:
			return
		}
	}
	if s.endErr != nil {
		w.end(s, s.endErr)
	}
}

// sendResult says what became of a write.
type sendResult int

const (
	sendDone     sendResult = iota // written
	sendFlushing                   // partly written; a flusher owns the stream
	sendFailed                     // the write failed; the stream ended
)

// send writes out (held in full, from *bp, or static when bp is nil) to s
// without blocking; what the socket does not take goes to a flusher.
func (w *writer) send(s *stream, bp *[]byte, full, out []byte) sendResult {
	n, err := s.tryWrite(out)
	if err != nil {
		if bp != nil {
			putBuf(bp, full)
		}
		w.end(s, errWrite)
		return sendFailed
	}
	s.lastWrite.Store(time.Now().UnixNano())
	if n == len(out) {
		if bp != nil {
			putBuf(bp, full)
		}
		return sendDone
	}
	w.mu.Lock()
	s.flushing = true
	w.mu.Unlock()
	w.p.e.wg.Add(1) // the writer's own count keeps the WaitGroup above zero
	go w.flushRest(s, bp, full, out[n:])
	return sendFlushing
}

// flushRest writes the rest of a write that the socket did not take at
// once, blocking under the per-write deadline, then gives the stream back
// to its writer (or ends it when the writer has shut down).
func (w *writer) flushRest(s *stream, bp *[]byte, full, rest []byte) {
	defer w.p.e.wg.Done()
	err := s.conn.SetWriteDeadline(w.p.e.deadline())
	if err == nil {
		_, err = s.conn.Write(rest)
	}
	if bp != nil {
		putBuf(bp, full)
	}
	s.lastWrite.Store(time.Now().UnixNano())
	if err != nil {
		s.endErr = errWrite
	}
	w.mu.Lock()
	s.flushing = false
	closed := w.closed
	if closed {
		delete(w.conns, s)
	} else if !s.queued {
		s.queued = true
		w.ready = append(w.ready, s)
	}
	w.mu.Unlock()
	if closed {
		s.conn.Close()
		s.finish(cmpErr(s.endErr, hub.ErrClosed))
		return
	}
	w.signal()
}

// end ends a stream the writer owns: the last chunk (unless the connection
// failed), close, unsubscribe.
func (w *writer) end(s *stream, err error) {
	if !errors.Is(err, errWrite) && !errors.Is(err, errGone) {
		s.tryWrite(lastChunk)
	}
	s.ended = true
	w.mu.Lock()
	delete(w.conns, s)
	w.mu.Unlock()
	s.conn.Close()
	w.finishLater(s, err)
}

// finishLater finishes s on a goroutine of its own: unsubscribing runs the
// hub's hooks (the bridge may call a broker) and OnUnsubscribe, which must
// not hold up the other streams of the writer.
func (w *writer) finishLater(s *stream, err error) {
	w.p.e.wg.Add(1) // the writer's own count keeps the WaitGroup above zero
	go func() {
		defer w.p.e.wg.Done()
		s.finish(err)
	}()
}

// shutdown ends every stream of the writer with the shutdown hint.
func (w *writer) shutdown() {
	w.mu.Lock()
	w.closed = true
	own := w.spare[:0]
	for s := range w.conns {
		if s.flushing {
			s.conn.Close() // its flusher fails and ends it
			continue
		}
		own = append(own, s)
		delete(w.conns, s)
	}
	w.ready = nil
	w.mu.Unlock()
	for _, s := range own {
		s.say(w.p.byeChunk, w.p.e.byeDeadline())
		s.conn.Close()
		w.finishLater(s, hub.ErrClosed)
	}
	clear(own)
}

// say writes b to a taken-over stream that is ending: without blocking
// when possible, else by deadline.
func (s *stream) say(b []byte, deadline time.Time) {
	if s.raw != nil {
		s.tryWrite(b)
		return
	}
	if s.conn.SetWriteDeadline(deadline) == nil {
		s.conn.Write(b)
	}
}

// cmpErr returns the first non-nil error.
func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
