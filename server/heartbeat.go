package server

import "github.com/go-micro-sse/go-micro-sse/internal/writepath"

// The heartbeat sweep of the shared writers (the schedule:
// writepath.HeartbeatTick and HeartbeatQuiet).

// heartbeat sends the heartbeat to every quiet stream of the writer, and
// ends the streams whose client has closed the connection (a peek at each
// socket, so an idle client that left frees its place within Heartbeat/2).
func (w *writer) heartbeat() {
	now := writepath.MonoNow()
	w.now = now
	idle := int64(writepath.HeartbeatQuiet(w.p.cfg.Heartbeat))
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
