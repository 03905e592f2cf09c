package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	merrors "go-micro.dev/v4/errors"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/compress"
	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// A stream method as an SSE endpoint.
//
//	const es = new EventSource("/rpc/Greeter.Stream?req=" + encodeURIComponent(JSON.stringify({name: "Ann"})));
//	es.onmessage = e => show(JSON.parse(e.data));
//	es.addEventListener("sse-end", () => es.close());
//	es.addEventListener("sse-error", e => { es.close(); fail(JSON.parse(e.data)); });
//
// The stream's Recv gives the request (from the URL, see rpc_request.go)
// once, then io.EOF. Each Send is one event: a *codec.Event as it is,
// anything else as its JSON (go-micro's json codec format: proto messages
// as protojson, see rpc_marshal.go), of the default type "message". An
// event without an id gets the next number of the stream: 1, 2, ... on a
// first connection, and N+1, N+2, ... when the browser resumes with the
// Last-Event-ID N, so the browser's Last-Event-ID is always the position
// the handler reached.
// LastEventID(ctx), or go-micro metadata "Last-Event-Id", gives the handler
// that id so it can resume its own stream.
//
// How a stream ends:
//   - the handler returns nil: a last event of type "sse-end", data
//     {"lastEventId":"<the last id>"};
//   - the handler returns an error: a last event of type "sse-error", data
//     the go-micro error as JSON ({"id":..,"code":..,"detail":..,"status":..});
//
// both with the id EndedIDPrefix + the last id: the id of the last event
// sent, or, when the handler sent none, the Last-Event-ID the client
// resumed from (its position; empty on a first connection). A browser
// that does not close its EventSource on these events reconnects after
// the retry delay with that id, and is answered 204 No Content, which
// makes EventSource stop for good (readyState CLOSED, an error event): one request, never a
// reconnect loop.
//   - the client goes away: the handler's context is cancelled.
//   - the server stops: the handler's context is cancelled and Send fails
//     from then on; a Send blocked on a client that stopped reading is cut
//     after a quarter of ShutdownGrace. When the handler returns, a retry
//     hint is the last frame (no end event), and the browser reconnects
//     and resumes with its Last-Event-ID, as on the events endpoint.
//   - the token expires (with Auth): the same, with an "sse-error" event
//     with a 401 error and no id as the last frame; the browser reconnects
//     once with its Last-Event-ID and either resumes (its cookie was
//     renewed) or gets 401 and stops.

// EndedIDPrefix starts the id of the last event of an RPC stream that
// ended ("sse-end" or "sse-error"); a request resuming from such an id is
// answered 204 No Content, which tells EventSource not to reconnect.
const EndedIDPrefix = "sse-end."

// The event types an RPC stream ends with.
const (
	EventEnd   = "sse-end"   // the handler returned nil; data {"lastEventId":"N"}
	EventError = "sse-error" // the handler returned an error, or the token expired; data the go-micro error JSON
)

// ErrStreamEnded is returned by an RPC stream's Send once the stream has
// ended: after its Close, once the server stops or the token expires, or
// after a write to the client failed (wrapped with the write's error, such
// as os.ErrDeadlineExceeded for a client that stopped reading). Nothing
// more reaches the client; the handler should return.
var ErrStreamEnded = errors.New("sse server: rpc stream ended")

// rpcStream is the go-micro server.Stream of one stream method call over
// SSE. Send and Close are safe for concurrent use.
//
// Writes (Send, heartbeats, the last frame) take turns on writing; no
// other lock is held during a write, and shutdown never waits for one: it
// marks the stream, cuts the write under way with a short deadline and
// cancels the handler (rpc_stream_watch.go).
type rpcStream struct {
	ctx context.Context
	req *rpcRequest
	e   *endpoint
	w   http.ResponseWriter
	rc  writeDeadliner           // sets write deadlines (writeControl.deadline)
	fl  *http.ResponseController // flushes (writeControl.flush)

	writing sync.Mutex // held by the one write under way
	// z is the response's content coding (compression.go), guarded by
	// writing: each frame compressed alone (an RPC stream's events are
	// its own: nothing to share), the header before the first, the
	// trailer after the last of a clean end.
	z      compress.Stream
	opened bool // the header is written

	mu        sync.Mutex // guards the fields below; never held during a write
	received  bool
	seq       uint64
	lastID    string
	err       error   // the write error that ended the stream
	failed    error   // errGone or errWrite: why that write failed
	ended     bool    // nothing more is written
	stop      rpcStop // why the server ended the stream before its handler returned
	lastWrite time.Time
}

// rpcStop is why the server ended a stream while its handler ran.
type rpcStop uint8

const (
	stopNone     rpcStop = iota
	stopShutdown         // the server stops: a retry hint is the last frame
	stopExpired          // the token expired: an sse-error event is the last frame
)

// Context is the handler's context.
func (s *rpcStream) Context() context.Context { return s.ctx }

// Request is the call's request.
func (s *rpcStream) Request() server.Request { return s.req }

// Recv decodes the request into msg the first time, then returns io.EOF:
// a browser sends one request.
func (s *rpcStream) Recv(msg interface{}) error {
	s.mu.Lock()
	first := !s.received
	s.received = true
	s.mu.Unlock()
	if !first {
		return io.EOF
	}
	if err := s.req.decode(msg); err != nil {
		return merrors.BadRequest(s.req.service, "%v", err)
	}
	return nil
}

// Send writes msg as one event and flushes it, under the per-write
// deadline. It returns ErrStreamEnded once the stream has ended (wrapping
// the write's error when this write failed: the client went away or
// stopped reading), or the error of an event the codec refuses.
func (s *rpcStream) Send(msg interface{}) error {
	ev, err := eventOf(msg)
	if err != nil {
		return fmt.Errorf("sse server: rpc stream %s: %w", s.req.endpoint, err)
	}
	s.writing.Lock()
	defer s.writing.Unlock()
	s.mu.Lock()
	switch {
	case s.err != nil:
		err = s.err
	case s.ended || s.stop != stopNone:
		err = ErrStreamEnded
	case ev.ID == "":
		s.seq++
		ev.ID = strconv.FormatUint(s.seq, 10)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	b, err := ev.AppendTo(nil)
	if err != nil {
		return fmt.Errorf("sse server: rpc stream %s: %w", s.req.endpoint, err)
	}
	if err := s.write(b); err != nil {
		return err
	}
	s.mu.Lock()
	s.lastID = ev.ID
	s.mu.Unlock()
	return nil
}

// Error is the write error that ended the stream, if any.
func (s *rpcStream) Error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the stream: later Sends fail. The response ends when the
// handler returns.
func (s *rpcStream) Close() error {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	return nil
}

// write writes b with one write and one flush (writing held); a failed
// write ends the stream.
func (s *rpcStream) write(b []byte) error { return s.writeFrame(b, false) }

// writeFrame writes frame b in the response's encoding, with the trailer
// when last (writing held); a failed write ends the stream.
func (s *rpcStream) writeFrame(b []byte, last bool) error {
	if s.z.Encoding() != compress.Identity {
		var out []byte
		if !s.opened {
			out = s.z.Header(out)
			s.opened = true
		}
		out = s.z.Encode(out, b)
		if last {
			out = s.z.Trailer(out)
		}
		b = out
	}
	deadline := time.Now().Add(s.e.cfg.WriteTimeout)
	err := s.writeCut(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failed = s.e.failedWrite(s.ctx, err, deadline)
		s.err = fmt.Errorf("%w: write to client: %w", ErrStreamEnded, err)
		s.ended = true
		return s.err
	}
	s.lastWrite = time.Now()
	return nil
}

// writeCut writes b and flushes it under the per-write deadline: once the
// server stops, the short one of byeDeadline. A write under way when it
// stops is cut by watch; one whose deadline was set as it stopped, after
// watch's cut, is cut here.
func (s *rpcStream) writeCut(b []byte) error {
	stopping := s.e.stopping()
	if err := s.rc.SetWriteDeadline(s.e.deadline()); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if !stopping && s.e.stopping() {
		_ = s.rc.SetWriteDeadline(s.e.byeDeadline())
	}
	n, err := s.w.Write(b)
	s.e.counters.Wrote(n)
	if err != nil {
		return err
	}
	if err := s.fl.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// heartbeat writes the heartbeat comment when nothing was written for
// half a Heartbeat; never while another write is under way.
func (s *rpcStream) heartbeat() {
	if !s.writing.TryLock() {
		return // a write under way: the stream is not idle
	}
	defer s.writing.Unlock()
	s.mu.Lock()
	due := !s.ended && s.stop == stopNone && time.Since(s.lastWrite) >= writepath.HeartbeatQuiet(s.e.cfg.Heartbeat)
	s.mu.Unlock()
	if due {
		_ = s.write(s.e.heartbeatFrame)
	}
}

// end writes the last frame once the handler has returned err: the retry
// hint when the server stopped, the expiry event when the token expired,
// else the end event; nothing when the stream ended already (client gone,
// a failed write, Close).
func (s *rpcStream) end(service string, err error) {
	s.writing.Lock()
	defer s.writing.Unlock()
	s.mu.Lock()
	ended, stop, lastID := s.ended, s.stop, s.lastID
	s.ended = true
	s.mu.Unlock()
	if ended {
		return
	}
	var b []byte
	switch {
	case stop == stopShutdown:
		b = s.e.bye()
	case stop == stopExpired:
		b = s.e.expiredFrame()
	case s.ctx.Err() != nil: // the client went away
		return
	default:
		ev := &codec.Event{ID: EndedIDPrefix + lastID, Event: EventEnd}
		if err != nil && !errors.Is(err, io.EOF) {
			ev.Event, ev.Data = EventError, errorJSON(service, err)
		} else {
			ev.Data, _ = marshalJSON(map[string]string{"lastEventId": lastID})
		}
		var encErr error
		if b, encErr = ev.AppendTo(nil); encErr != nil {
			return
		}
	}
	_ = s.writeFrame(b, true)
}

// eventOf is the event msg is sent as.
func eventOf(msg any) (*codec.Event, error) {
	switch m := msg.(type) {
	case *codec.Event:
		if m == nil {
			return nil, errors.New("nil event")
		}
		ev := *m
		return &ev, nil
	case codec.Event:
		return &m, nil
	}
	b, err := marshalJSON(msg)
	if err != nil {
		return nil, fmt.Errorf("encode %T as JSON: %w", msg, err)
	}
	return &codec.Event{Data: b}, nil
}

// errorJSON is err as a go-micro error in JSON, with id, code (500 when
// it has none) and status filled in.
func errorJSON(service string, err error) []byte {
	me := merrors.FromError(err)
	out := &merrors.Error{Id: me.Id, Code: me.Code, Detail: me.Detail, Status: me.Status}
	if out.Code == 0 {
		out.Code = http.StatusInternalServerError
	}
	if out.Id == "" {
		out.Id = service
	}
	if out.Status == "" {
		out.Status = http.StatusText(int(out.Code))
	}
	b, _ := marshalJSON(out)
	return b
}

// serveRPCStream serves one call of a stream method as an event stream.
func (s *Server) serveRPCStream(ctx context.Context, e *endpoint, w http.ResponseWriter, hr *http.Request, opts server.Options, svc *rpcService, m *rpcMethod, req *rpcRequest, lastID string, expiry time.Time) {
	if strings.HasPrefix(lastID, EndedIDPrefix) {
		w.WriteHeader(http.StatusNoContent) // the stream ended: EventSource stops
		return
	}
	ctl, cerr := e.controlOf(w, hr)
	if cerr != nil {
		e.refuse(w, hr, &refusal{status: http.StatusNotImplemented, reason: ReasonNoFlush, text: "the RPC endpoint is mounted behind a ResponseWriter that cannot flush"})
		return
	}
	if rf := e.enter(); rf != nil {
		e.refuse(w, hr, rf)
		return
	}
	defer e.wg.Done()
	client, rf := e.checkRate(hr)
	if rf == nil {
		rf = e.acquire(client)
	}
	if rf != nil {
		e.refuse(w, hr, rf)
		return
	}
	defer e.release(client)
	e.accepted.Add(1)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st := &rpcStream{ctx: ctx, req: req, e: e, w: w, rc: ctl.deadline, fl: ctl.flush}
	defer func() {
		if end := st.endOf(hr.Context()); end != "" {
			e.countEnd(end)
		}
	}()
	st.seq, _ = strconv.ParseUint(lastID, 10, 64)
	if (&codec.Event{ID: lastID}).Validate() == nil {
		st.lastID = lastID // the client's position until the first Send
	}
	e.setStreamHeaders(w.Header(), hr)
	enc := e.encodingOf(hr)
	e.setEncodingHeaders(w.Header(), enc)
	st.z = compress.NewStream(enc)
	w.WriteHeader(http.StatusOK)
	if err := st.write(e.openFrame); err != nil {
		return
	}

	returned := make(chan struct{})
	var watchers sync.WaitGroup
	watchers.Go(func() { st.watch(returned, cancel, expiry) })
	watchers.Go(func() { st.beat(returned) })
	err := s.callRPC(ctx, opts, svc, m, req, st)
	close(returned)
	watchers.Wait()
	st.end(opts.Name, err)
}

// endOf is the End constant of a stream the server or the client ended
// (counted as event streams' are), "" for one whose handler returned.
func (s *rpcStream) endOf(client context.Context) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(s.failed, errGone):
		return EndClientGone
	case s.failed != nil:
		return EndWriteFailed
	case s.stop == stopShutdown:
		return EndShutdown
	case s.stop == stopExpired:
		return EndAuthExpired
	case client.Err() != nil:
		return EndClientGone
	}
	return ""
}

// callRPC calls a method through the server's handler wrappers (the first
// given is the outermost), as go-micro's rpc router does; rsp is the
// response value (unary) or the stream. A panic becomes a 500 error.
func (s *Server) callRPC(ctx context.Context, opts server.Options, svc *rpcService, m *rpcMethod, req *rpcRequest, rsp any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			logf(opts.Logger, "sse server: rpc %s panicked: %v\n%s", req.endpoint, p, debug.Stack())
			err = merrors.InternalServerError(opts.Name, "%s panicked", req.endpoint)
		}
	}()
	fn := func(ctx context.Context, r server.Request, rsp interface{}) error {
		var out []reflect.Value
		if m.stream {
			out = m.fn.Call([]reflect.Value{svc.rcvr, reflect.ValueOf(ctx), reflect.ValueOf(rsp)})
		} else {
			out = m.fn.Call([]reflect.Value{svc.rcvr, reflect.ValueOf(ctx), reflect.ValueOf(req.decoded), reflect.ValueOf(rsp)})
		}
		if err, _ := out[0].Interface().(error); err != nil {
			return err
		}
		return nil
	}
	for i := len(opts.HdlrWrappers); i > 0; i-- {
		fn = opts.HdlrWrappers[i-1](fn)
	}
	return fn(ctx, req, rsp)
}
