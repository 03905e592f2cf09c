package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go-micro.dev/v4/transport"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// errListenerClosed ends the sockets of a closing listener. It wraps io.EOF:
// to the code serving the socket it is the end of input.
var errListenerClosed = fmt.Errorf("sse transport: listener closed: %w", io.EOF)

// shutdownGrace is how long Close lets streams end with a close event
// before it cuts the connections.
const shutdownGrace = 2 * time.Second

// listener is the transport.Listener: an HTTP server whose GET requests
// open sockets and whose POST requests carry messages into them.
type listener struct {
	ln   net.Listener
	srv  *http.Server
	set  settings
	opts transport.Options

	mu       sync.Mutex
	closed   bool
	accepted bool
	fn       func(transport.Socket)
	sockets  map[string]*serverSocket
	wg       sync.WaitGroup // socket handlers and the goroutines serving them
}

func newListener(ln net.Listener, o transport.Options) *listener {
	l := &listener{ln: ln, set: resolve(o), opts: o, sockets: make(map[string]*serverSocket)}
	l.srv = &http.Server{
		Handler:           l,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	return l
}

// Addr is the address the listener is bound to.
func (l *listener) Addr() string { return l.ln.Addr().String() }

// Close stops accepting sockets, ends every open socket (its stream gets a
// close event, its Recv returns an error wrapping io.EOF) and closes the
// connections. Accept returns once every socket handler has finished.
// Closing twice is fine.
func (l *listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	socks := make([]*serverSocket, 0, len(l.sockets))
	for _, s := range l.sockets {
		socks = append(socks, s)
	}
	l.mu.Unlock()
	for _, s := range socks {
		s.end(errListenerClosed, true)
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		_ = l.srv.Close()
	}
	// Shutdown closes the net.Listener only when Serve runs.
	if err := l.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("sse transport: close listener: %w", err)
	}
	return nil
}

// Accept serves the listener, calling fn for each socket a client opens,
// each in its own goroutine. It returns nil once the listener is closed and
// every fn has returned, or the error that stopped serving. It may be called
// once.
func (l *listener) Accept(fn func(transport.Socket)) error {
	l.mu.Lock()
	if l.accepted {
		l.mu.Unlock()
		return ErrAcceptCalled
	}
	l.accepted = true
	l.fn = fn
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil
	}
	err := l.srv.Serve(l.ln)
	l.wg.Wait()
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("sse transport: serve: %w", err)
}

// ServeHTTP opens a socket on GET and delivers messages on POST.
func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != l.set.path {
		http.Error(w, "sse transport: unknown path", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet:
		l.serveStream(w, r)
	case http.MethodPost:
		l.servePost(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "sse transport: method not allowed", http.StatusMethodNotAllowed)
	}
}

// serveStream runs one socket: it writes the open event, starts fn, and
// keeps the response open until the socket ends.
func (l *listener) serveStream(w http.ResponseWriter, r *http.Request) {
	id, err := newSessionID()
	if err != nil {
		http.Error(w, "sse transport: session id", http.StatusInternalServerError)
		return
	}
	s := newServerSocket(l, id, w, r)
	l.mu.Lock()
	if l.closed || l.fn == nil {
		l.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "sse transport: listener closed", http.StatusServiceUnavailable)
		return
	}
	fn := l.fn
	l.sockets[id] = s
	l.wg.Add(2) // this handler and fn's goroutine
	l.mu.Unlock()
	defer l.wg.Done()
	defer l.remove(id)

	h := w.Header()
	h.Set("Content-Type", codec.ContentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	open := codec.Event{Event: eventOpen, Data: []byte(id + " " + strconv.FormatInt(l.set.heartbeat.Milliseconds(), 10))}
	frame, _ := open.AppendTo(nil)
	if err := s.write(frame); err != nil {
		l.wg.Done()
		return
	}
	stop := context.AfterFunc(r.Context(), func() {
		s.end(fmt.Errorf("sse transport: client left: %w", io.EOF), false)
	})
	defer stop()
	s.startHeartbeat()
	go func() {
		defer l.wg.Done()
		fn(s)
		_ = s.Close()
	}()
	<-s.gone
	s.finish()
}

// servePost delivers the messages of one POST, in order, to its socket.
// The query carries the session id (s), the POST's sequence number (q) and
// the number of messages (n); a POST out of sequence is refused, so a
// reordering proxy cannot reorder messages.
func (l *listener) servePost(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s := l.lookup(q.Get("s"))
	if s == nil {
		http.Error(w, "sse transport: unknown session", http.StatusNotFound)
		return
	}
	seq, err1 := strconv.ParseUint(q.Get("q"), 10, 64)
	count, err2 := strconv.Atoi(q.Get("n"))
	if err1 != nil || err2 != nil || count < 0 {
		http.Error(w, "sse transport: bad query", http.StatusBadRequest)
		return
	}
	s.postMu.Lock()
	defer s.postMu.Unlock()
	if seq != s.nextSeq {
		http.Error(w, "sse transport: POST out of sequence", http.StatusConflict)
		s.end(fmt.Errorf("%w: POST %d out of sequence (want %d)", ErrConnectionLost, seq, s.nextSeq), false)
		return
	}
	limit := encodedLimit(l.set.maxMsg)
	dec := codec.NewDecoder(http.MaxBytesReader(w, r.Body, l.set.maxPost()), codec.MaxLineBytes(limit), codec.MaxEventBytes(limit))
	n := 0
	for {
		ev, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			code, cause := postError(err)
			http.Error(w, cause.Error(), code)
			s.end(cause, false)
			return
		}
		m, err := parseMessage(ev, l.set.maxMsg)
		if err != nil {
			code, cause := postError(err)
			http.Error(w, cause.Error(), code)
			s.end(cause, false)
			return
		}
		if !s.in.put(m, s.gone) {
			http.Error(w, "sse transport: socket closed", http.StatusGone)
			return
		}
		n++
	}
	if n != count {
		err := fmt.Errorf("%w: POST held %d messages, announced %d", ErrConnectionLost, n, count)
		http.Error(w, err.Error(), http.StatusBadRequest)
		s.end(err, false)
		return
	}
	s.nextSeq++
	w.WriteHeader(http.StatusNoContent)
}

// postError maps a failure to read a POST body to a status and the error the
// socket ends with.
func postError(err error) (int, error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, ErrMessageTooLarge):
		return http.StatusRequestEntityTooLarge, err
	case errors.Is(err, codec.ErrEventTooLarge), errors.Is(err, codec.ErrLineTooLong), errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Errorf("%w: %v", ErrMessageTooLarge, err)
	case errors.Is(err, errMalformed):
		return http.StatusBadRequest, fmt.Errorf("%w: %v", ErrConnectionLost, err)
	default:
		return http.StatusBadRequest, fmt.Errorf("%w: reading POST: %v", ErrConnectionLost, err)
	}
}

func (l *listener) lookup(id string) *serverSocket {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sockets[id]
}

func (l *listener) remove(id string) {
	l.mu.Lock()
	delete(l.sockets, id)
	l.mu.Unlock()
}

// newSessionID returns 128 random bits in hex: the session id is what lets a
// POST into a socket, so it must not be guessable.
func newSessionID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
