package server

import (
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// Heartbeats are comment frames (": heartbeat") that keep an idle stream
// through proxies and reveal a closed client by a failing write. No
// stream stays silent for Heartbeat: a stream with its own goroutine
// sends one after Heartbeat/2 without a write; the shared writers sweep
// their streams every Heartbeat/2 and send one to each that wrote nothing
// for Heartbeat/4 (so at most 3/4 of Heartbeat goes by without a write,
// a quarter of it left for scheduling). The sweep also peeks at each
// socket to find the clients that left.

// heartbeatTick is the sweep interval of the shared writers, and the
// silence after which a stream with its own goroutine sends a heartbeat.
func (e *endpoint) heartbeatTick() time.Duration {
	return max(e.cfg.Heartbeat/2, time.Millisecond)
}

// heartbeatQuiet is the silence after which a sweep every heartbeatTick
// (the shared writers', an RPC stream's) sends a heartbeat: a quarter of
// Heartbeat, so that the next sweep never comes after three quarters of
// it without a write.
func (e *endpoint) heartbeatQuiet() time.Duration { return e.heartbeatTick() / 2 }

// heartbeat sends the heartbeat to every quiet stream of the writer, and
// ends the streams whose client has closed the connection (a peek at each
// socket, so an idle client that left frees its place within Heartbeat/2).
func (w *writer) heartbeat() {
	now := writepath.MonoNow()
	w.now = now
	idle := int64(w.p.e.heartbeatQuiet())
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
		case s.peerClosed():
			w.end(s, errGone)
		case now-s.lastWrite.Load() >= idle:
			w.one[0] = w.p.heartbeatChunkOf(s)
			w.send(s, w.one[:])
			w.one[0] = nil
		}
	}
	clear(due)
	w.due = due[:0]
}
