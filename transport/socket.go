package transport

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go-micro.dev/v4/transport"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// heartbeatFrame is the comment written on an idle stream.
var heartbeatFrame, _ = (&codec.Event{Comment: "hb"}).AppendTo(nil)

// closeFrame tells the client the server ended the stream on purpose.
var closeFrame, _ = (&codec.Event{Event: eventClose, Data: []byte("bye")}).AppendTo(nil)

// serverSocket is the server's end of one session: Send writes events into
// the GET response, Recv takes what POSTs delivered.
type serverSocket struct {
	l      *listener
	id     string
	w      http.ResponseWriter
	rc     *http.ResponseController
	local  string
	remote string
	in     *inbox

	closed    chan struct{} // Close was called
	closeOnce sync.Once
	gone      chan struct{} // the socket ended (closed, client left, failure)
	goneOnce  sync.Once

	mu        sync.Mutex
	cond      sync.Cond
	pending   []byte // frames waiting for the writer
	spare     []byte
	scratch   []byte
	writing   bool  // a goroutine is writing pending frames
	err       error // set once the socket ended: Send returns it
	graceful  bool  // end with a close event
	finished  bool  // the response is over: nothing may write
	lastWrite time.Time
	hb        *time.Timer

	postMu  sync.Mutex // serializes POSTs
	nextSeq uint64
}

func newServerSocket(l *listener, id string, w http.ResponseWriter, r *http.Request) *serverSocket {
	s := &serverSocket{
		l:      l,
		id:     id,
		w:      w,
		rc:     http.NewResponseController(w),
		local:  l.Addr(),
		remote: r.RemoteAddr,
		in:     newInbox(),
		closed: make(chan struct{}),
		gone:   make(chan struct{}),
	}
	s.cond.L = &s.mu
	return s
}

// Local is the listener's address.
func (s *serverSocket) Local() string { return s.local }

// Remote is the client's address as the HTTP server saw it.
func (s *serverSocket) Remote() string { return s.remote }

// Recv returns the next message the client sent, in order. It blocks until
// one arrives, the socket ends (messages already received are returned
// first, then io.EOF or an error wrapping it when the client left, or the
// failure), Close is called (ErrClosed), or transport.Timeout passes.
func (s *serverSocket) Recv(m *transport.Message) error {
	if m == nil {
		return ErrNilMessage
	}
	got, err := s.in.get(s.closed, s.l.set.timeout)
	if err != nil {
		return err
	}
	deliver(m, got)
	return nil
}

// Send writes m to the client as one event. It is safe for concurrent use:
// messages of concurrent senders are written together, in the order their
// Send calls took the lock. A Send may return before its message is on the
// wire (another sender is writing it); a write failure then ends the socket
// and is returned by later calls.
func (s *serverSocket) Send(m *transport.Message) error {
	if n := messageSize(m); n > s.l.set.maxMsg {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, n, s.l.set.maxMsg)
	}
	s.mu.Lock()
	for s.err == nil && s.writing && len(s.pending) >= maxPending {
		s.cond.Wait()
	}
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return err
	}
	var err error
	s.pending, s.scratch, err = appendMessage(s.pending, s.scratch, m)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	return s.flushLocked()
}

// flushLocked, called with s.mu held, writes the pending frames unless
// another goroutine is already writing (it will write them). It unlocks s.mu.
func (s *serverSocket) flushLocked() error {
	if s.writing || s.finished {
		s.mu.Unlock()
		return nil
	}
	s.writing = true
	var err error
	for len(s.pending) > 0 {
		buf := s.pending
		s.pending = s.spare[:0]
		s.mu.Unlock()
		err = s.write(buf)
		s.mu.Lock()
		s.spare = buf[:0]
		s.lastWrite = time.Now()
		s.cond.Broadcast()
		if err != nil {
			s.pending = s.pending[:0]
			break
		}
	}
	s.writing = false
	s.cond.Broadcast()
	s.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("%w: write: %v", ErrConnectionLost, err)
		s.end(err, false)
	}
	return err
}

// write writes b to the response and flushes it, within transport.Timeout
// when one is set.
func (s *serverSocket) write(b []byte) error {
	if t := s.l.set.timeout; t > 0 {
		_ = s.rc.SetWriteDeadline(time.Now().Add(t))
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// Close ends the socket: pending Recv calls return ErrClosed, later Send and
// Recv calls too; frames already accepted are still written, then the stream
// ends with a close event, which the client's Recv reports as io.EOF.
// Closing twice is fine.
func (s *serverSocket) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	s.end(ErrClosed, true)
	return nil
}

// end ends the socket with err (the first call wins): Send fails with it,
// Recv returns it once the queued messages are taken; graceful says whether
// the stream gets a close event.
func (s *serverSocket) end(err error, graceful bool) {
	s.goneOnce.Do(func() {
		s.mu.Lock()
		s.err = err
		s.graceful = graceful
		s.cond.Broadcast()
		s.mu.Unlock()
		s.in.finish(err)
		close(s.gone)
	})
}

// startHeartbeat writes a heartbeat comment whenever nothing was written
// for one interval.
func (s *serverSocket) startHeartbeat() {
	d := s.l.set.heartbeat
	if d <= 0 {
		return
	}
	s.mu.Lock()
	s.lastWrite = time.Now()
	s.hb = time.AfterFunc(d, s.heartbeat)
	s.mu.Unlock()
}

func (s *serverSocket) heartbeat() {
	d := s.l.set.heartbeat
	s.mu.Lock()
	if s.err != nil || s.finished {
		s.mu.Unlock()
		return
	}
	idle := time.Since(s.lastWrite)
	if s.writing || idle < d {
		next := d
		if !s.writing {
			next = d - idle
		}
		s.hb.Reset(next)
		s.mu.Unlock()
		return
	}
	s.hb.Reset(d)
	s.pending = append(s.pending, heartbeatFrame...)
	_ = s.flushLocked()
}

// finish runs on the handler goroutine once the socket ended: it waits for
// the writer, writes the close event when the end is graceful, and marks the
// response over so nothing writes to it after the handler returns.
func (s *serverSocket) finish() {
	s.mu.Lock()
	if s.hb != nil {
		s.hb.Stop()
	}
	for s.writing {
		s.cond.Wait()
	}
	s.finished = true
	frame := closeFrame
	if !s.graceful {
		frame, _ = (&codec.Event{Event: eventError, Data: []byte(errorData(s.err))}).AppendTo(nil)
	}
	s.mu.Unlock()
	_ = s.rc.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := s.w.Write(frame); err == nil {
		_ = s.rc.Flush()
	}
	// The connection may serve further requests: no deadline of ours stays.
	_ = s.rc.SetWriteDeadline(time.Time{})
}

// errorData is the data of an error event: a code the client maps back to
// an error it can tell apart, a space, and the server's message.
func errorData(err error) string {
	code := "lost"
	if errors.Is(err, ErrMessageTooLarge) {
		code = "too-large"
	}
	return code + " " + strings.ReplaceAll(err.Error(), "\n", " ")
}
