package server

import (
	"net/http"
	"time"

	"go-micro.dev/v4/logger"
)

// The life of a stream in the go-micro logger, as structured fields
// (logger.Fields): "sse" is "open", "close" or "refused"; "remote" the
// client's address (the ClientAddress hook's, else the peer's), "peer"
// (on open and refusal) the connection's peer, a proxy's behind one; then
// "topics", "proto", "resume" and "reset_reason" on open, "end" (why it
// ended: an End constant) and "duration" on close, "status" and "reason"
// (a Reason constant) on a refusal. Everything is at debug level but a
// stream cut off as slow (EndSlow, info): a client fell further behind
// than the history reaches. Nothing is built unless the level is enabled.

// log returns the endpoint's logger.
func (e *endpoint) log() logger.Logger { return orDefault(e.cfg.Logger) }

// logOpen logs an accepted stream.
func (e *endpoint) logOpen(r *http.Request, s *stream) {
	l := e.log()
	if !logger.V(logger.DebugLevel, l) {
		return
	}
	res := s.Sub.Resume()
	l.Fields(map[string]any{
		"sse": "open", "topics": s.topics, "remote": s.clientAddr(), "peer": r.RemoteAddr, "proto": r.Proto,
		"resume": res.Outcome.String(), "reset_reason": res.Reason,
	}).Log(logger.DebugLevel, "sse stream open")
}

// logClose logs a stream that ended because of err (nil: the client left).
func (e *endpoint) logClose(s *stream, err error) {
	end, lvl := s.endOf(err), logger.DebugLevel
	if end == EndSlow {
		lvl = logger.InfoLevel
	}
	l := e.log()
	if !logger.V(lvl, l) {
		return
	}
	l.Fields(map[string]any{
		"sse": "close", "topics": s.topics, "remote": s.clientAddr(), "end": end,
		"duration": time.Since(time.Unix(0, s.opened)).Round(time.Millisecond).String(),
	}).Log(lvl, "sse stream closed")
}

// logRefused logs a refused request.
func (e *endpoint) logRefused(r *http.Request, status int, reason string) {
	l := e.log()
	if !logger.V(logger.DebugLevel, l) {
		return
	}
	remote := r.RemoteAddr
	if e.limits != nil && e.limits.address != nil {
		var client string
		if e.callHook("ClientAddress", nil, func() { client = e.limits.address(r) }) && client != "" {
			remote = client
		}
	}
	l.Fields(map[string]any{
		"sse": "refused", "remote": remote, "peer": r.RemoteAddr, "status": status, "reason": reason,
	}).Log(logger.DebugLevel, "sse request refused")
}

// clientAddr is the client's address, for the log: what the ClientAddress
// hook said (behind a proxy, the client's, not the proxy's), else the
// connection's peer.
func (s *stream) clientAddr() string {
	if s.client != "" {
		return s.client
	}
	return s.remoteAddr()
}
