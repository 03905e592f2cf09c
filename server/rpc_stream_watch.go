package server

import (
	"context"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// What runs beside an RPC stream's handler: heartbeats while it is idle,
// and the watch that ends it when the server stops or the token expires.
// Neither waits for a write of the handler: a client that stopped reading
// holds the handler in Send, never Stop.

// watch ends the stream when the server stops or at the token's expiry
// (zero: none), until the handler returns. The server stopping: the
// stream is marked (Send fails, the last frame is the retry hint), a
// write under way is cut at byeDeadline (a quarter of ShutdownGrace) and
// the handler's context is cancelled. Expiry: marked likewise (the last
// frame is the expiry event) and cancelled.
func (s *rpcStream) watch(returned <-chan struct{}, cancel context.CancelFunc, expiry time.Time) {
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
			s.stopFor(stopShutdown)
			_ = s.rc.SetWriteDeadline(s.e.byeDeadline())
			cancel()
			return
		case <-expired:
			s.stopFor(stopExpired)
			cancel()
			expired = nil // a write under way may still be cut by Stop
		}
	}
}

// stopFor marks why the server ends the stream, unless it did already.
func (s *rpcStream) stopFor(why rpcStop) {
	s.mu.Lock()
	if s.stop == stopNone {
		s.stop = why
	}
	s.mu.Unlock()
}

// beat sends heartbeats while the handler runs and the stream is idle.
// A heartbeat stalled on its client is cut as a Send is.
func (s *rpcStream) beat(returned <-chan struct{}) {
	tick := time.NewTicker(writepath.HeartbeatTick(s.e.cfg.Heartbeat))
	defer tick.Stop()
	for {
		select {
		case <-returned:
			return
		case <-tick.C:
			s.heartbeat()
		}
	}
}

// stopping reports whether the endpoint is shutting down.
func (e *endpoint) stopping() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
