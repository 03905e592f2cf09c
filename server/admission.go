package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/bridge"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// The admission of an events request, in the order ServeHTTP runs it:
// method, the ResponseWriter (it must flush), the client's connect rate,
// the query (topics, Last-Event-ID, rewind), the broker's readiness
// (its hub fed), auth, then what an admitted
// stream holds until it ends: its place among the endpoint's goroutines
// (none once it shuts down), its slot of the limits, its topics on the
// bridge and its subscription to the hub. Each step returns a refusal or
// nil; refuse alone answers and counts refusals. A step that refuses lets
// go of what the steps before it took.

// refusal is why a request is not served: the status, the reason counted
// (a Reason constant), the text answered and, for a 429 or 503, how long
// until the client may come back (Retry-After; zero: no header).
type refusal struct {
	status     int
	reason     string
	text       string
	retryAfter time.Duration
	allow      string // the Allow header of a 405
}

// refuse answers rf as text and counts it: the one place a refusal of the
// events endpoint is written.
func (e *endpoint) refuse(w http.ResponseWriter, r *http.Request, rf *refusal) {
	e.refusedMu.Lock()
	e.refused[rf.reason]++
	e.refusedMu.Unlock()
	e.logRefused(r, rf.status, rf.reason)
	if rf.allow != "" {
		w.Header().Set("Allow", rf.allow)
	}
	if rf.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterOf(rf.retryAfter))
	}
	http.Error(w, rf.text, rf.status)
}

// forNow is a refusal the client may retry after the retry interval.
func (e *endpoint) forNow(status int, reason, text string) *refusal {
	return &refusal{status: status, reason: reason, text: text, retryAfter: e.cfg.Retry}
}

// badRequest is a 400 refusal for reason.
func badRequest(reason, text string) *refusal {
	return &refusal{status: http.StatusBadRequest, reason: reason, text: text}
}

// admission is what the steps learn of a request admitted so far.
type admission struct {
	r       *http.Request // with the account in its context once authorized
	ctl     *writeControl
	client  string // the client address ("": exempt from the limits)
	topics  []string
	lastID  string
	rewind  int
	expiry  time.Time // of the token (zero: none)
	entered bool      // counted in e.wg: the caller calls e.wg.Done
	stream  *stream   // subscribed
}

// admit runs the admission of a GET (or any method but OPTIONS) request.
// On nil the stream holds a slot, its topics and a subscription, and
// a.stream is ready to serve.
func (e *endpoint) admit(w http.ResponseWriter, a *admission) *refusal {
	if a.r.Method != http.MethodGet {
		return &refusal{status: http.StatusMethodNotAllowed, reason: ReasonMethod, text: "method not allowed: use GET", allow: "GET, OPTIONS"}
	}
	var err error
	if a.ctl, err = e.controlOf(w, a.r); err != nil {
		return &refusal{status: http.StatusNotImplemented, reason: ReasonNoFlush, text: "the events endpoint is mounted behind a ResponseWriter that cannot flush"}
	}
	var rf *refusal
	if a.client, rf = e.checkRate(a.r); rf != nil {
		return rf
	}
	if rf := e.parse(a); rf != nil {
		return rf
	}
	if rf := e.checkReady(a.r.Context()); rf != nil {
		return rf
	}
	r, expiry, status, text := e.authorize(a.r, a.topics)
	if status != 0 {
		return &refusal{status: status, reason: authReason(status), text: text}
	}
	a.r, a.expiry = r, expiry
	if rf := e.enter(); rf != nil {
		return rf
	}
	a.entered = true
	return e.hold(a)
}

// parse reads the topics, the Last-Event-ID and the rewind of a request.
func (e *endpoint) parse(a *admission) *refusal {
	q, reason, text := e.queryOf(a.r)
	if reason == "" {
		a.topics, reason, text = e.topicsOf(q)
	}
	if reason == "" {
		a.lastID = e.lastEventID(a.r, q)
		a.rewind, reason, text = rewindOf(q)
	}
	if reason != "" {
		return badRequest(reason, text)
	}
	return nil
}

// hold takes the stream's slot of the limits, its topics on the bridge and
// its subscription to the hub, all or nothing.
func (e *endpoint) hold(a *admission) *refusal {
	if rf := e.acquire(a.client); rf != nil {
		return rf
	}
	if rf := e.holdBridge(a); rf != nil {
		e.release(a.client)
		return rf
	}
	if rf := e.subscribe(a); rf != nil {
		e.release(a.client)
		e.leaveBridge(a.topics)
		return rf
	}
	return nil
}

// enter registers the goroutine serving a request with the endpoint (the
// caller then calls e.wg.Done) unless the endpoint is shut down.
func (e *endpoint) enter() *refusal {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed { // sent away as Stop sends its streams' clients
		return &refusal{status: http.StatusServiceUnavailable, reason: ReasonUnavailable, text: "server shutting down", retryAfter: e.jitteredRetry()}
	}
	e.wg.Add(1)
	return nil
}

// holdBridge holds the stream's topics on the bridge (with a foreign
// broker), waiting until each is subscribed there, so that the hub places
// the stream's Last-Event-ID knowing of any gap. A topic that cannot be
// subscribed now is refused with 503 and Retry-After; a topic the hub
// does not serve (ExplicitTopics) with 404, without asking the broker.
func (e *endpoint) holdBridge(a *admission) *refusal {
	if e.bridge == nil {
		return nil
	}
	err := e.bridge.Acquire(a.r.Context(), e.done, a.topics)
	var down *bridge.DownError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hub.ErrUnknownTopic):
		return &refusal{status: http.StatusNotFound, reason: ReasonUnknownTopic, text: err.Error()}
	case errors.As(err, &down):
		return &refusal{status: http.StatusServiceUnavailable, reason: ReasonBridge, text: err.Error(), retryAfter: max(down.RetryAfter, e.cfg.Retry)}
	}
	return e.forNow(http.StatusServiceUnavailable, ReasonUnavailable, "server shutting down")
}

// leaveBridge lets go of the bridge's hold on the topics of a stream.
func (e *endpoint) leaveBridge(topics []string) {
	if e.bridge != nil {
		e.bridge.Release(topics)
	}
}

// subscribe makes the stream and subscribes it to the hub at its
// Last-Event-ID.
func (e *endpoint) subscribe(a *admission) *refusal {
	s := newStream(e, a.r, a.topics)
	s.client = a.client
	sub, err := e.hub.Subscribe(a.topics, a.lastID, append(s.wakeOptions(), hub.Rewind(a.rewind), hub.Compressed(e.encodingOf(a.r)))...)
	switch {
	case err == nil:
		s.Sub = sub
		a.stream = s
		return nil
	case errors.Is(err, hub.ErrUnknownTopic):
		return &refusal{status: http.StatusNotFound, reason: ReasonUnknownTopic, text: err.Error()}
	case errors.Is(err, hub.ErrInvalidTopic):
		return badRequest(ReasonBadTopic, err.Error())
	}
	return e.forNow(http.StatusServiceUnavailable, ReasonUnavailable, err.Error()) // hub closed: come back later
}
