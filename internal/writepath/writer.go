package writepath

import (
	"context"
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

// Pool is the set of shared writers of an endpoint.
type Pool struct {
	cfg     Config
	writers []*writer
	next    atomic.Uint64

	heartbeatChunk []byte // the heartbeat frame as one chunk
	// heartbeatChunks is heartbeatChunk compressed, by encoding.
	heartbeatChunks map[compress.Encoding][]byte
}

// NewPool returns GOMAXPROCS writers, started on their first stream.
func NewPool(cfg Config) *Pool {
	p := &Pool{cfg: cfg, writers: make([]*writer, runtime.GOMAXPROCS(0))}
	for i := range p.writers {
		w := &writer{p: p, wake: make(chan struct{}, 1), conns: make(map[*Stream]struct{})}
		w.waker = hub.NewWaker(w.signal)
		p.writers[i] = w
	}
	p.heartbeatChunk = AppendChunk(nil, cfg.HeartbeatFrame)
	if f := cfg.CompressedHeartbeat; f != nil {
		p.heartbeatChunks = make(map[compress.Encoding][]byte)
		for _, enc := range cfg.Encodings {
			p.heartbeatChunks[enc] = AppendChunk(nil, f.Bytes(enc))
		}
	}
	return p
}

// Add hands a taken-over stream (its connection in s.Conn) to its writer
// (Assign chose it).
func (p *Pool) Add(s *Stream) {
	s.lastWrite.Store(MonoNow())
	w := s.home
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		s.say(p.byeChunk(s), p.cfg.ByeDeadline())
		s.Conn.Close()
		s.owner().Finish(hub.ErrClosed)
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
// caller keeps the endpoint's goroutine count (Config.Go) above zero.
func (p *Pool) pick() *writer {
	w := p.writers[p.next.Add(1)%uint64(len(p.writers))]
	w.start.Do(func() { p.cfg.Go(w.run) })
	return w
}

// Stop is called once Config.Done is closed; the writers see it and end
// their streams.
func (p *Pool) Stop() {
	for _, w := range p.writers {
		w.signal()
	}
}

// writer owns many taken-over streams and writes their frames.
type writer struct {
	p     *Pool
	start sync.Once
	wake  chan struct{} // cap 1: something is ready
	// waker gathers the hub's wake-ups of the writer's streams (those
	// subscribed to be taken over by it): a publish hands it all of them
	// at once, touching none (hub.Waker).
	waker *hub.Waker

	mu     sync.Mutex
	ready  []*Stream // streams with frames due
	conns  map[*Stream]struct{}
	closed bool

	// Reused by run only.
	spare, due []*Stream
	woken      []*hub.Subscriber
	bufs       [][]byte  // the slices of one writev
	head       []byte    // the chunk size line of the batch in bufs
	iov        Iovecs    // their Iovecs
	one        [1][]byte // a write of one static slice
	// now is MonoNow when the current pass (flushReady, heartbeat)
	// began: the lastWrite of what it writes, one clock read a pass.
	now int64

	counters Counters // of this writer's streams
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
func (w *writer) enqueueLocked(s *Stream) {
	if s.flushing && s.Sub.Err() != nil {
		s.Conn.SetWriteDeadline(time.Unix(1, 0))
	}
	if s.queued || s.gone || w.closed {
		return
	}
	s.queued = true
	w.ready = append(w.ready, s)
}

// takeWoken queues the writer's streams the hub woke (its Waker); a
// stream not taken over (it kept its goroutine) gets the wake-up its own
// way (its Owner's Notify). One that is writing its first batch loses
// nothing: Add queues it, under w.mu, as it makes it the writer's.
func (w *writer) takeWoken() {
	woken := w.waker.Take(w.woken[:0])
	if len(woken) == 0 {
		return
	}
	elsewhere := 0 // the first ones of woken, once looked at
	w.mu.Lock()
	for i, sub := range woken {
		// Ask ahead for what the next ones' Owner and queueing read.
		if i+4 < len(woken) {
			woken[i+4].PrefetchOwner()
		}
		if i+2 < len(woken) {
			prefetch.Range(unsafe.Pointer(woken[i+2].Owner().(Owner).WriteState()), 64)
		}
		s := sub.Owner().(Owner).WriteState()
		if s.w.Load() != w {
			woken[elsewhere] = sub
			elsewhere++
			continue
		}
		w.enqueueLocked(s)
	}
	w.mu.Unlock()
	// Through the subscriber: the stream may not hold it yet (it is
	// still subscribing).
	for _, sub := range woken[:elsewhere] {
		sub.Owner().(Owner).Notify()
	}
	clear(woken)
	w.woken = woken[:0]
}

// remove drops s from the writer's streams; w.mu is held.
func (w *writer) remove(s *Stream) {
	delete(w.conns, s)
	s.gone = true
}

// run is the writer's goroutine.
func (w *writer) run() {
	tick := time.NewTicker(HeartbeatTick(w.p.cfg.Heartbeat))
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
	w.now = MonoNow()
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
func prefetchAhead(streams []*Stream, i int) {
	if i+2 < len(streams) {
		prefetch.Range(unsafe.Pointer(streams[i+2]), 64)
	}
	if i+1 < len(streams) {
		streams[i+1].Sub.Prefetch()
	}
}

// flush reads one batch of s (the hub's own bytes), frames it as one
// chunk and writes it with one writev; with more due, s goes to the back
// of the queue.
func (w *writer) flush(s *Stream) {
	if s.ended {
		return
	}
	if s.endErr != nil {
		w.end(s, s.endErr)
		return
	}
	bufs, more, err := s.Sub.Read(append(w.bufs[:0], nil)) // bufs[0]: the size line
	if len(bufs) == 1 {
		bufs = bufs[:0]
	} else {
		size := 0
		for _, f := range bufs[1:] {
			size += len(f)
		}
		w.head = AppendChunkSize(w.head[:0], size)
		bufs[0] = w.head
		bufs = append(bufs, CRLF)
	}
	if f := s.owner().EndFrame(err); f != nil {
		bufs = append(bufs, AppendChunk(nil, s.encode(nil, f)))
	}
	s.endErr = err
	res := sendDone
	if len(bufs) > 0 {
		res = w.send(s, bufs)
	}
	clear(bufs) // let eviction free the frames
	w.bufs = bufs[:0]
	if res == sendDone {
		w.counters.ObserveWrite(s.Sub)
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
func (w *writer) requeue(s *Stream) {
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
func (w *writer) send(s *Stream, bufs [][]byte) sendResult {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	n, err := s.Conn.Writev(&w.iov, bufs)
	w.counters.Wrote(int(n))
	if err != nil {
		s.midChunk = true
		end := ErrWrite
		if ClientGone(err) {
			end = ErrGone
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
	rest := RestOf(bufs, n)
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
func (w *writer) flushRest(s *Stream, rest net.Buffers) {
	deadline := w.p.cfg.Deadline()
	err := s.Conn.SetWriteDeadline(deadline)
	if err == nil {
		var n int64
		n, err = s.Conn.WriteBuffers(&rest)
		w.counters.Wrote(int(n))
	}
	clear(rest)
	s.lastWrite.Store(MonoNow())
	if err != nil {
		// Cut short because the hub ended the subscriber (evicted), the
		// client took nothing for WriteTimeout, or it left.
		s.endErr = s.owner().WriteEnd(context.Background(), err, deadline)
	} else {
		s.midChunk = false
		w.counters.ObserveWrite(s.Sub)
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
		s.Conn.Close()
		s.owner().Finish(cmpErr(s.endErr, hub.ErrClosed))
		return
	}
	w.signal()
}

// end ends a stream the writer owns: the last chunk (unless the
// connection failed or a chunk was left unfinished), close, unsubscribe.
func (w *writer) end(s *Stream, err error) {
	if !errors.Is(err, ErrWrite) && !errors.Is(err, ErrGone) && !s.midChunk {
		w.one[0] = LastChunk
		if s.compressed() {
			w.one[0] = append(AppendChunk(nil, s.trailer()), LastChunk...)
		}
		s.Conn.Writev(&w.iov, w.one[:])
		w.one[0] = nil
	}
	s.ended = true
	w.mu.Lock()
	w.remove(s)
	w.mu.Unlock()
	s.Conn.Close()
	w.finishLater(s, err)
}

// finishLater finishes s on a goroutine of its own: unsubscribing runs the
// hub's hooks (the bridge may call a broker) and OnUnsubscribe, which must
// not hold up the other streams of the writer.
func (w *writer) finishLater(s *Stream, err error) {
	w.p.cfg.Go(func() { s.owner().Finish(err) }) // the writer's own goroutine keeps the count above zero
}

// shutdown ends every stream of the writer with the shutdown hint.
func (w *writer) shutdown() {
	w.mu.Lock()
	w.closed = true
	own := w.spare[:0]
	for s := range w.conns {
		if s.flushing {
			s.Conn.Close() // its flusher fails and ends it
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
		s.Conn.Close()
		w.finishLater(s, hub.ErrClosed)
	}
	clear(own)
}

// say writes b to a taken-over stream that is ending: without blocking
// when possible, else by deadline.
func (s *Stream) say(b []byte, deadline time.Time) {
	if s.Conn.HasFD() {
		var iov Iovecs
		s.Conn.Writev(&iov, [][]byte{b})
		return
	}
	if s.Conn.SetWriteDeadline(deadline) == nil {
		s.Conn.Write(b)
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
func (p *Pool) byeChunk(s *Stream) []byte {
	return append(AppendChunk(nil, s.Sub.AppendTrailer(s.encode(nil, p.cfg.Bye()))), LastChunk...)
}

// heartbeatChunkOf returns the heartbeat chunk of s's encoding, accounted
// for in its stream.
func (p *Pool) heartbeatChunkOf(s *Stream) []byte {
	if !s.compressed() {
		return p.heartbeatChunk
	}
	s.Sub.Wrote(p.cfg.CompressedHeartbeat)
	return p.heartbeatChunks[s.Sub.Encoding()]
}

// heartbeat sends the heartbeat to every quiet stream of the writer, and
// ends the streams whose client has closed the connection (a peek at each
// socket, so an idle client that left frees its place within Heartbeat/2).
func (w *writer) heartbeat() {
	now := MonoNow()
	w.now = now
	idle := int64(HeartbeatQuiet(w.p.cfg.Heartbeat))
	w.mu.Lock()
	due := w.due[:0]
	for s := range w.conns {
		if !s.flushing && !s.queued {
			due = append(due, s)
		}
	}
	w.mu.Unlock()
	for _, s := range due {
		switch {
		case s.Conn.PeerClosed():
			w.end(s, ErrGone)
		case now-s.lastWrite.Load() >= idle:
			w.one[0] = w.p.heartbeatChunkOf(s)
			w.send(s, w.one[:])
			w.one[0] = nil
		}
	}
	clear(due)
	w.due = due[:0]
}
