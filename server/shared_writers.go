package server

import (
	"errors"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/go-micro-sse/go-micro-sse/internal/compress"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/prefetch"
	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// Shared writers for HTTP/1.1 streams taken over after their headers.
//
// A taken-over stream holds no goroutine and no buffer while idle: it is a
// net.Conn, its hub subscriber (a position in the logs) and a few words
// here. It is subscribed with its writer's hub.Waker (one writer of
// GOMAXPROCS, chosen when it subscribes): a publish hands the writer all
// its streams of the topic that had read everything at once, touching
// none of them, and the writer queues them. The writer reads one batch of
// each one's frames (references to the logs' own, at most hub.BatchBytes)
// and writes it with one non-blocking writev on the connection's
// descriptor as one HTTP/1.1 chunk: the chunk's size line (the writer's)
// and CRLF around the frames, each frame one iovec, none copied. While it
// writes one stream it asks the processor for the next ones' state
// (prefetchAhead). A stream with more
// due goes to the back of the writer's queue, so a stream far behind (a
// replay) takes turns with the others. The response keeps the chunked
// transfer encoding net/http chose for it (the headers, the retry frame
// and the first batch went out through net/http as the first chunk), so
// any HTTP/1.1 client, browsers and Go's http.Client included, reads it;
// the stream ends with the last-chunk marker, and the connection is then
// closed.
//
// A client that does not take a whole write (its socket buffer is full)
// is handed to a flusher goroutine that writes the rest (the remaining
// slices, which reference immutable frames) under the per-write deadline,
// so it never holds back the other streams of its writer; the stream costs
// a goroutine only while stuck, and what it holds is one batch. A stuck
// stream whose position the hub evicts is ended at once (its write is cut
// short); one whose socket takes nothing for WriteTimeout is ended by the
// deadline. A closed client is found by a failing write or by the
// heartbeat sweep's peek (no reader goroutine per connection).

// writerPool is the set of shared writers of an endpoint.
type writerPool struct {
	cfg     writepath.Config
	writers []*writer
	next    atomic.Uint64

	heartbeatChunk []byte // the heartbeat frame as one chunk
	// heartbeatChunks is heartbeatChunk compressed, by encoding.
	heartbeatChunks map[compress.Encoding][]byte
}

// newWriterPool returns GOMAXPROCS writers, started on their first stream.
func newWriterPool(cfg writepath.Config) *writerPool {
	p := &writerPool{cfg: cfg, writers: make([]*writer, runtime.GOMAXPROCS(0))}
	for i := range p.writers {
		w := &writer{p: p, wake: make(chan struct{}, 1), conns: make(map[*stream]struct{})}
		w.waker = hub.NewWaker(w.signal)
		p.writers[i] = w
	}
	p.heartbeatChunk = writepath.AppendChunk(nil, cfg.HeartbeatFrame)
	if f := cfg.CompressedHeartbeat; f != nil {
		p.heartbeatChunks = make(map[compress.Encoding][]byte)
		for _, enc := range cfg.Encodings {
			p.heartbeatChunks[enc] = writepath.AppendChunk(nil, f.Bytes(enc))
		}
	}
	return p
}

// add hands a taken-over stream (its connection in s.conn) to a writer.
func (p *writerPool) add(s *stream) {
	s.lastWrite.Store(writepath.MonoNow())
	w := s.home
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		s.say(p.byeChunk(s), p.cfg.ByeDeadline())
		s.conn.Close()
		s.finish(hub.ErrClosed)
		return
	}
	w.conns[s] = struct{}{}
	s.w.Store(w)
	s.queued = true // read whatever came since the first write
	w.ready = append(w.ready, s)
	w.mu.Unlock()
	w.signal()
}

// pick returns the writer of a new stream, round robin, started on its
// first stream: from the subscription on, it hands the stream the hub's
// wake-ups (its Waker), whether or not the stream is taken over. The
// caller holds the endpoint's WaitGroup above zero.
func (p *writerPool) pick() *writer {
	w := p.writers[p.next.Add(1)%uint64(len(p.writers))]
	w.start.Do(func() { p.cfg.Go(w.run) })
	return w
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
	// waker gathers the hub's wake-ups of the writer's streams (those
	// subscribed to be taken over by it): a publish hands it all of them
	// at once, touching none (hub.Waker).
	waker *hub.Waker

	mu     sync.Mutex
	ready  []*stream // streams with frames due
	conns  map[*stream]struct{}
	closed bool

	// Reused by run only.
	spare, due []*stream
	woken      []*hub.Subscriber
	bufs       [][]byte  // the slices of one writev
	head       []byte    // the chunk size line of the batch in bufs
	iov        iovecs    // their iovecs
	one        [1][]byte // a write of one static slice
	// now is writepath.MonoNow when the current pass (flushReady, heartbeat)
	// began: the lastWrite of what it writes, one clock read a pass.
	now int64

	counters writepath.Counters // of this writer's streams
}

// signal wakes the writer; it never blocks.
func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// enqueueLocked puts s in the ready queue unless it is there, gone or the
// writer closed. A stream stuck in a flusher whose subscriber has ended
// (evicted: it fell behind the history) has its write cut short, so that
// it ends now rather than at the deadline. w.mu is held.
func (w *writer) enqueueLocked(s *stream) {
	if s.flushing && s.sub.Err() != nil {
		s.conn.SetWriteDeadline(time.Unix(1, 0))
	}
	if s.queued || s.gone || w.closed {
		return
	}
	s.queued = true
	w.ready = append(w.ready, s)
}

// takeWoken queues the writer's streams the hub woke (its Waker); a
// stream not taken over (it kept its goroutine) gets the wake-up its own
// way (notify). One that is writing its first batch loses nothing: add
// queues it, under w.mu, as it makes it the writer's.
func (w *writer) takeWoken() {
	woken := w.waker.Take(w.woken[:0])
	if len(woken) == 0 {
		return
	}
	elsewhere := w.due[:0]
	w.mu.Lock()
	for i, sub := range woken {
		// Ask ahead for what the next ones' Owner and queueing read.
		if i+4 < len(woken) {
			woken[i+4].PrefetchOwner()
		}
		if i+2 < len(woken) {
			prefetch.Range(unsafe.Pointer(woken[i+2].Owner().(*stream)), 64)
		}
		s := sub.Owner().(*stream)
		if s.w.Load() != w {
			elsewhere = append(elsewhere, s)
			continue
		}
		w.enqueueLocked(s)
	}
	w.mu.Unlock()
	for _, s := range elsewhere {
		s.notify()
	}
	clear(woken)
	w.woken = woken[:0]
	clear(elsewhere)
	w.due = elsewhere[:0]
}

// remove drops s from the writer's streams; w.mu is held.
func (w *writer) remove(s *stream) {
	delete(w.conns, s)
	s.gone = true
}

// run is the writer's goroutine.
func (w *writer) run() {
	tick := time.NewTicker(writepath.HeartbeatTick(w.p.cfg.Heartbeat))
	defer tick.Stop()
	for {
		select {
		case <-w.p.cfg.Done:
			w.shutdown()
			return
		case <-w.wake:
			w.flushReady()
		case <-tick.C:
			w.heartbeat()
		}
	}
}

// flushReady writes one batch of every ready stream.
func (w *writer) flushReady() {
	w.takeWoken()
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
	w.now = writepath.MonoNow()
	for i, s := range batch[:n] {
		prefetchAhead(batch[:n], i)
		w.flush(s)
	}
	clear(batch)
	w.spare = batch[:0]
}

// prefetchAhead asks for the memory of the streams after streams[i] while
// the writer writes streams[i]: the hot line of the second next stream,
// and the subscriber of the next one (whose line the previous call asked
// for). A writer going round many connections finds each one's state out
// of the caches (the kernel's copies of the round's writes pushed it out);
// so its loads overlap the system call before them.
func prefetchAhead(streams []*stream, i int) {
	if i+2 < len(streams) {
		prefetch.Range(unsafe.Pointer(streams[i+2]), 64)
	}
	if i+1 < len(streams) {
		streams[i+1].sub.Prefetch()
	}
}

// flush reads one batch of s (the hub's own bytes), frames it as one
// chunk and writes it with one writev; with more due, s goes to the back
// of the queue.
func (w *writer) flush(s *stream) {
	if s.ended {
		return
	}
	if s.endErr != nil {
		w.end(s, s.endErr)
		return
	}
	bufs, more, err := s.sub.Read(append(w.bufs[:0], nil)) // bufs[0]: the size line
	if len(bufs) == 1 {
		bufs = bufs[:0]
	} else {
		size := 0
		for _, f := range bufs[1:] {
			size += len(f)
		}
		w.head = writepath.AppendChunkSize(w.head[:0], size)
		bufs[0] = w.head
		bufs = append(bufs, writepath.CRLF)
	}
	if f := s.endFrame(err); f != nil {
		bufs = append(bufs, writepath.AppendChunk(nil, s.encode(nil, f)))
	}
	s.endErr = err
	res := sendDone
	if len(bufs) > 0 {
		res = w.send(s, bufs)
	}
	clear(bufs) // let eviction free the frames
	w.bufs = bufs[:0]
	if res == sendDone {
		w.counters.ObserveWrite(s.sub)
	}
	switch {
	case res != sendDone:
	case s.endErr != nil:
		w.end(s, s.endErr)
	case more:
		w.requeue(s)
	}
}

// requeue puts s at the back of the ready queue.
func (w *writer) requeue(s *stream) {
	w.mu.Lock()
	if !s.queued && !w.closed {
		s.queued = true
		w.ready = append(w.ready, s)
	}
	w.mu.Unlock()
	w.signal()
}

// sendResult says what became of a write.
type sendResult int

const (
	sendDone     sendResult = iota // written
	sendFlushing                   // partly written; a flusher owns the stream
	sendFailed                     // the write failed; the stream ended
)

// send writes bufs to s with one writev without blocking; what the socket
// does not take goes to a flusher. The slices must be immutable, but for
// the writer's chunk size line (w.head), of which a flusher gets a copy.
func (w *writer) send(s *stream, bufs [][]byte) sendResult {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	n, err := s.tryWritev(&w.iov, bufs)
	w.counters.Wrote(int(n))
	if err != nil {
		s.midChunk = true
		end := errWrite
		if clientGone(err) {
			end = errGone
		}
		w.end(s, end)
		return sendFailed
	}
	if n > 0 {
		s.lastWrite.Store(w.now)
	}
	if n == total {
		return sendDone
	}
	rest := writepath.RestOf(bufs, n)
	if n < len(bufs[0]) && len(w.head) > 0 && &bufs[0][0] == &w.head[0] {
		rest[0] = slices.Clone(rest[0]) // the writer's size line: the flusher's own copy
	}
	s.midChunk = true
	w.mu.Lock()
	s.flushing = true
	w.mu.Unlock()
	w.p.cfg.Go(func() { w.flushRest(s, rest) }) // the writer's own goroutine keeps the count above zero
	return sendFlushing
}

// flushRest writes the rest of a write that the socket did not take at
// once, blocking (one writev as the socket takes it) under the per-write
// deadline, then gives the stream back to its writer (or ends it when the
// writer has shut down).
func (w *writer) flushRest(s *stream, rest net.Buffers) {
	deadline := w.p.cfg.Deadline()
	err := s.conn.SetWriteDeadline(deadline)
	if err == nil {
		var n int64
		n, err = s.conn.WriteBuffers(&rest)
		w.counters.Wrote(int(n))
	}
	clear(rest)
	s.lastWrite.Store(writepath.MonoNow())
	if err != nil {
		// Cut short because the hub ended the subscriber (evicted), the
		// client took nothing for WriteTimeout, or it left.
		s.endErr = s.writeEnd(nil, err, deadline)
	} else {
		s.midChunk = false
		w.counters.ObserveWrite(s.sub)
	}
	w.mu.Lock()
	s.flushing = false
	closed := w.closed
	if closed {
		w.remove(s)
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

// end ends a stream the writer owns: the last chunk (unless the
// connection failed or a chunk was left unfinished), close, unsubscribe.
func (w *writer) end(s *stream, err error) {
	if !errors.Is(err, errWrite) && !errors.Is(err, errGone) && !s.midChunk {
		w.one[0] = writepath.LastChunk
		if s.compressed() {
			w.one[0] = append(writepath.AppendChunk(nil, s.trailer()), writepath.LastChunk...)
		}
		s.tryWritev(&w.iov, w.one[:])
		w.one[0] = nil
	}
	s.ended = true
	w.mu.Lock()
	w.remove(s)
	w.mu.Unlock()
	s.conn.Close()
	w.finishLater(s, err)
}

// finishLater finishes s on a goroutine of its own: unsubscribing runs the
// hub's hooks (the bridge may call a broker) and OnUnsubscribe, which must
// not hold up the other streams of the writer.
func (w *writer) finishLater(s *stream, err error) {
	w.p.cfg.Go(func() { s.finish(err) }) // the writer's own goroutine keeps the count above zero
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
		w.remove(s)
	}
	w.ready = nil
	w.mu.Unlock()
	for _, s := range own {
		if !s.midChunk {
			s.say(w.p.byeChunk(s), w.p.cfg.ByeDeadline())
		}
		s.conn.Close()
		w.finishLater(s, hub.ErrClosed)
	}
	clear(own)
}

// say writes b to a taken-over stream that is ending: without blocking
// when possible, else by deadline.
func (s *stream) say(b []byte, deadline time.Time) {
	if s.conn.HasFD() {
		var iov iovecs
		s.tryWritev(&iov, [][]byte{b})
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

// byeChunk is a stream's shutdown hint (Config.Bye) as one chunk, in
// the stream's encoding with its trailer, then the last chunk.
func (p *writerPool) byeChunk(s *stream) []byte {
	return append(writepath.AppendChunk(nil, s.sub.AppendTrailer(s.encode(nil, p.cfg.Bye()))), writepath.LastChunk...)
}

// heartbeatChunkOf returns the heartbeat chunk of s's encoding, accounted
// for in its stream.
func (p *writerPool) heartbeatChunkOf(s *stream) []byte {
	if !s.compressed() {
		return p.heartbeatChunk
	}
	s.sub.Wrote(p.cfg.CompressedHeartbeat)
	return p.heartbeatChunks[s.sub.Encoding()]
}
