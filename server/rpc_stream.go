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
// as protojson, see rpc_marshal.go), of the default type "message". An event without an id
// gets the next number of the stream: 1, 2, ... on a first connection, and
// N+1, N+2, ... when the browser resumes with the Last-Event-ID N, so the
// browser's Last-Event-ID is always the position the handler reached.
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
// resumed from (its position; empty on a first connection). A browser that does not
// close its EventSource on these events reconnects after the retry delay
// with that id, and is answered 204 No Content, which makes EventSource
// stop for good (readyState CLOSED, an error event): one request, never a
// reconnect loop.
//   - the client goes away: the handler's context is cancelled.
//   - the server stops: a retry hint is written (no end event), the
//     handler's context is cancelled, and the browser reconnects and
//     resumes with its Last-Event-ID, as on the events endpoint.
//   - the token expires (with Auth): an "sse-error" event with a 401 error
//     and no id, then the end; the browser reconnects once with its
//     Last-Event-ID and either resumes (its cookie was renewed) or gets 401
//     and stops.

// EndedIDPrefix starts the id of the last event of an RPC stream that
// ended ("sse-end" or "sse-error"); a request resuming from such an id is
// answered 204 No Content, which tells EventSource not to reconnect.
const EndedIDPrefix = "sse-end."

// The event types an RPC stream ends with.
const (
	EventEnd   = "sse-end"   // the handler returned nil; data {"lastEventId":"N"}
	EventError = "sse-error" // the handler returned an error, or the token expired; data the go-micro error JSON
)

// errStreamEnded is returned by Send after the stream ended.
var errStreamEnded = errors.New("sse server: rpc stream ended")

// rpcStream is the go-micro server.Stream of one stream method call over
// SSE. Send and Close are safe for concurrent use.
type rpcStream struct {
	ctx context.Context
	req *rpcRequest
	e   *endpoint
	w   http.ResponseWriter
	rc  *http.ResponseController

	mu        sync.Mutex // guards the fields below and every write
	received  bool
	seq       uint64
	lastID    string
	err       error // the write error that ended the stream
	ended     bool  // nothing more is written
	lastWrite time.Time
}

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
// deadline. It returns the error of a failed write (the client went away),
// of an event the codec refuses, or errStreamEnded after the end.
func (s *rpcStream) Send(msg interface{}) error {
	ev, err := eventOf(msg)
	if err != nil {
		return fmt.Errorf("sse server: rpc stream %s: %w", s.req.endpoint, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.ended {
		return errStreamEnded
	}
	if ev.ID == "" {
		s.seq++
		ev.ID = strconv.FormatUint(s.seq, 10)
	}
	b, err := ev.AppendTo(nil)
	if err != nil {
		return fmt.Errorf("sse server: rpc stream %s: %w", s.req.endpoint, err)
	}
	if err := s.writeLocked(b, s.e.deadline()); err != nil {
		return err
	}
	s.lastID = ev.ID
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

// writeLocked writes b with one write and one flush.
func (s *rpcStream) writeLocked(b []byte, deadline time.Time) error {
	if err := s.e.writeResponse(s.w, s.rc, b, deadline); err != nil {
		s.err = fmt.Errorf("%w: %v", errWrite, err)
		s.ended = true
		return s.err
	}
	s.lastWrite = time.Now()
	return nil
}

// say writes a final frame (shutdown hint, expiry) unless the stream has
// ended, and ends it.
func (s *rpcStream) say(b []byte, deadline time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		_ = s.writeLocked(b, deadline)
	}
	s.ended = true
}

// heartbeat writes the heartbeat comment when nothing was written for
// half a Heartbeat.
func (s *rpcStream) heartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended && time.Since(s.lastWrite) >= s.e.heartbeatTick() {
		_ = s.writeLocked(s.e.heartbeatFrame, s.e.deadline())
	}
}

// end writes the end event for the handler's result err, unless the
// stream ended already (client gone, shutdown, expiry, Close).
func (s *rpcStream) end(service string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.ctx.Err() != nil {
		s.ended = true
		return
	}
	ev := &codec.Event{ID: EndedIDPrefix + s.lastID, Event: EventEnd}
	if err != nil && !errors.Is(err, io.EOF) {
		ev.Event, ev.Data = EventError, errorJSON(service, err)
	} else {
		ev.Data, _ = marshalJSON(map[string]string{"lastEventId": s.lastID})
	}
	if b, encErr := ev.AppendTo(nil); encErr == nil {
		_ = s.writeLocked(b, s.e.deadline())
	}
	s.ended = true
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
	if !e.enter(w, hr) {
		return
	}
	defer e.wg.Done()
	client, ok := e.checkRate(w, hr)
	if !ok || !e.acquire(w, hr, client) {
		return
	}
	defer e.release(client)
	e.accepted.Add(1)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st := &rpcStream{ctx: ctx, req: req, e: e, w: w, rc: http.NewResponseController(w)}
	st.seq, _ = strconv.ParseUint(lastID, 10, 64)
	if (&codec.Event{ID: lastID}).Validate() == nil {
		st.lastID = lastID // the client's position until the first Send
	}
	e.setStreamHeaders(w.Header(), hr)
	w.WriteHeader(http.StatusOK)
	st.mu.Lock()
	err := st.writeLocked(e.openFrame, e.deadline())
	st.mu.Unlock()
	if err != nil {
		return
	}

	returned := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		st.watch(returned, cancel, expiry)
	}()
	err = s.callRPC(ctx, opts, svc, m, req, st)
	close(returned)
	<-watched
	st.end(opts.Name, err)
}

// watch sends heartbeats while the handler runs, and ends the stream on
// shutdown (a retry hint) or at the token's expiry (an sse-error event),
// cancelling the handler's context.
func (s *rpcStream) watch(returned <-chan struct{}, cancel context.CancelFunc, expiry time.Time) {
	tick := time.NewTicker(s.e.heartbeatTick())
	defer tick.Stop()
	var expired <-chan time.Time
	if !expiry.IsZero() {
		t := time.NewTimer(time.Until(expiry))
		defer t.Stop()
		expired = t.C
	}
	for {
		select {
		case <-returned:
			return
		case <-s.e.done:
			s.say(s.e.bye(), s.e.byeDeadline())
			cancel()
			return
		case <-expired:
			s.say(s.e.expiredFrame(), s.e.deadline())
			cancel()
			return
		case <-tick.C:
			s.heartbeat()
		}
	}
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
