package server

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/bridge"
	"github.com/go-micro-sse/go-micro-sse/internal/compress"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// Reasons a request to the events endpoint is refused: the keys of
// EndpointStats.Refused.
const (
	ReasonMethod        = "method"          // 405: not GET or OPTIONS
	ReasonOrigin        = "origin"          // 403: CORS preflight from an origin not allowed
	ReasonNoStream      = "no_stream"       // 400: no stream parameter
	ReasonTooManyTopics = "too_many_topics" // 400: more than MaxTopicsPerConnection
	ReasonBadTopic      = "bad_topic"       // 400: empty, too long or not matching TopicPattern
	ReasonBadQuery      = "bad_query"       // 400: the query cannot be parsed (over 10,000 parameters)
	ReasonUnauthorized  = "unauthorized"    // 401: no valid token (Auth), or Authorize returned ErrUnauthorized
	ReasonForbidden     = "forbidden"       // 403: a topic the rules refuse (Auth), or Authorize returned another error
	ReasonOverLimit     = "over_limit"      // 503: MaxConnections streams are open
	ReasonClientLimit   = "client_limit"    // 429: MaxConnectionsPerClient streams of this client are open
	ReasonRate          = "rate"            // 429: the client connects faster than ConnectRate
	ReasonUnknownTopic  = "unknown_topic"   // 404: ssebroker.ExplicitTopics and the topic was not created
	ReasonUnavailable   = "unavailable"     // 503: shutting down or the hub is closed
	ReasonBridge        = "bridge"          // 503: a topic cannot be subscribed on the (foreign) broker now
	ReasonNotReady      = "not_ready"       // 503: the broker cannot feed the hub now (a JetStream node behind its stream)
	ReasonNoFlush       = "no_flush"        // 501: mounted behind a ResponseWriter wrapper that can neither flush nor be unwrapped
)

// endpoint is the /events http.Handler: it validates a request, subscribes
// it to the hub and hands the stream to the write path.
type endpoint struct {
	hub *hub.Hub
	cfg *config

	// Frames written on open and as heartbeat (the shutdown hint is bye()).
	openFrame, heartbeatFrame []byte
	// z holds them compressed once, for compressed streams.
	z compressedFrames

	mu     sync.Mutex // guards closed and wg.Add against Shutdown's wg.Wait
	closed bool
	done   chan struct{} // closed by Shutdown: every stream ends
	once   sync.Once
	wg     sync.WaitGroup // every goroutine of the endpoint

	limits *limiter
	bridge *bridge.Bridge              // with a foreign broker: holds the topics of each stream
	ready  func(context.Context) error // the broker's readiness; nil: not known, never refuses
	pool   *writepath.Pool             // shared writers of taken-over HTTP/1.1 streams; nil if GoroutinePerStream

	goMu        sync.Mutex
	goStreams   map[*stream]struct{} // streams written through their ResponseWriter now (track)
	open        atomic.Int64
	shared      atomic.Int64
	accepted    atomic.Uint64
	cutOffSlow  atomic.Uint64
	writeFailed atomic.Uint64
	clientGone  atomic.Uint64
	// streams ended by Stop, DeleteTopic or a feed that failed
	shutdownEnded atomic.Uint64
	authExpired   atomic.Uint64
	hookPanics    atomic.Uint64
	http2         atomic.Int64
	exact         atomic.Uint64
	counters      writepath.Counters // of the streams with their own goroutine
	wp            writepath.Config   // what the write path is handed (writePathConfig)
	// warnedWrappers holds the ResponseWriter wrapper types logged
	// (warnWrapper).
	warnedWrappers sync.Map
	refusedMu      sync.Mutex // guards refused and resets
	refused        map[string]uint64
	resets         map[string]uint64
}

// newEndpoint returns the events endpoint serving h with c.
func newEndpoint(h *hub.Hub, c *config) *endpoint {
	e := &endpoint{
		hub:     h,
		cfg:     c,
		done:    make(chan struct{}),
		refused: make(map[string]uint64),
		resets:  make(map[string]uint64),
		limits:  newLimiter(c),
	}
	e.openFrame, _ = (&codec.Event{Retry: c.Retry}).AppendTo(nil)
	e.heartbeatFrame, _ = (&codec.Event{Comment: "heartbeat"}).AppendTo(nil)
	if len(c.Compression) > 0 {
		e.z = compressedFrames{open: compress.NewFrame(e.openFrame), heartbeat: compress.NewFrame(e.heartbeatFrame)}
	}
	e.wp = e.writePathConfig()
	if !c.GoroutinePerStream {
		e.pool = writepath.NewPool(e.wp)
	}
	return e
}

// ServeHTTP serves one events request: OPTIONS for CORS, GET for a
// stream. A refused request gets a 4xx or 503 with the reason as text,
// never 500.
func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		e.preflight(w, r)
		return
	}
	e.setCORS(w.Header(), r)
	a := &admission{r: r}
	rf := e.admit(w, a)
	if a.entered {
		defer e.wg.Done()
	}
	if rf != nil {
		e.refuse(w, a.r, rf)
		return
	}
	r, s := a.r, a.stream
	e.watchExpiry(s, a.expiry)
	e.accepted.Add(1)
	e.countResume(s.Sub.Resume())
	if r.ProtoMajor >= 2 {
		s.http2 = true
		e.http2.Add(1)
	}
	e.logOpen(r, s)
	e.setStreamHeaders(w.Header(), r)
	e.setEncodingHeaders(w.Header(), s.Sub.Encoding())
	w.WriteHeader(http.StatusOK)
	if fn := e.cfg.OnSubscribe; fn != nil && !e.callHook("OnSubscribe", a.topics, func() { fn(r, a.topics) }) {
		s.finish(errHookPanic) // releases the slot and the subscription
		return
	}
	e.snapshot(r, s)
	e.serve(w, r, s, a.ctl)
}

// setStreamHeaders sets the headers of an event stream.
func (e *endpoint) setStreamHeaders(h http.Header, r *http.Request) {
	for k, vs := range e.cfg.Headers {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	h.Del("Content-Length") // a stream has no length; the framing is net/http's
	h.Del("Transfer-Encoding")
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	if r.ProtoMajor == 1 {
		h.Set("Connection", "keep-alive")
	}
}

// Shutdown tells every client to come back (a retry hint), ends every
// stream and waits for every goroutine of the endpoint, or for ctx; without
// a deadline in ctx it waits at most ShutdownGrace. New requests are then
// refused with 503. It is idempotent.
func (e *endpoint) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.ShutdownGrace)
		defer cancel()
	}
	e.once.Do(func() {
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		close(e.done)
		if e.pool != nil {
			e.pool.Stop()
		}
		e.cutGoroutineWrites()
	})
	waited := make(chan struct{})
	go func() { e.wg.Wait(); close(waited) }()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// countResume counts how a new stream's Last-Event-ID was placed.
func (e *endpoint) countResume(r hub.Resume) {
	switch r.Outcome {
	case hub.ResumeExact:
		e.exact.Add(1)
	case hub.ResumeLost:
		e.refusedMu.Lock()
		e.resets[r.Reason]++
		e.refusedMu.Unlock()
	}
}

// deadline is the write deadline of a write starting now: WriteTimeout,
// or once the endpoint shuts down the short bound of byeDeadline.
func (e *endpoint) deadline() time.Time {
	select {
	case <-e.done:
		return e.byeDeadline()
	default:
	}
	return time.Now().Add(e.cfg.WriteTimeout)
}

// minByeWrite is the least time a write has once the endpoint shuts down.
const minByeWrite = 200 * time.Millisecond

// byeDeadline is the deadline of a write once the endpoint shuts down (the
// shutdown hint, or a write under way): a quarter of ShutdownGrace (at
// least minByeWrite, at most WriteTimeout). A client that does not take
// the write by then has stalled and is cut off, so that Stop never waits
// the whole grace on it.
func (e *endpoint) byeDeadline() time.Time {
	return time.Now().Add(min(e.cfg.WriteTimeout, max(e.cfg.ShutdownGrace/4, minByeWrite)))
}

// track records s, a stream written through its ResponseWriter (its
// first write, then, unless taken over, all of them), until untrack, so
// that Shutdown can cut a write of it short.
func (e *endpoint) track(s *stream) {
	e.goMu.Lock()
	if e.goStreams == nil {
		e.goStreams = make(map[*stream]struct{})
	}
	e.goStreams[s] = struct{}{}
	e.goMu.Unlock()
}

func (e *endpoint) untrack(s *stream) {
	e.goMu.Lock()
	delete(e.goStreams, s)
	e.goMu.Unlock()
}

// cutGoroutineWrites moves the deadline of every write under way on a
// stream written through its ResponseWriter to byeDeadline: a stalled
// client no longer holds Stop for its WriteTimeout.
func (e *endpoint) cutGoroutineWrites() {
	e.goMu.Lock()
	defer e.goMu.Unlock()
	for s := range e.goStreams {
		s.cutWrite(e.byeDeadline())
	}
}
