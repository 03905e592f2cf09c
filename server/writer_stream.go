package server

import (
	"net/http"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// serveGoroutine runs a stream on its request's goroutine (HTTP/2, TLS,
// GoroutinePerStream): woken by the hub, it drains every pending frame and
// writes them with one write and one flush; a heartbeat comment follows
// any Heartbeat without a write. It returns when the client goes away, a
// write fails, the hub ends the subscriber or the endpoint shuts down.
func (e *endpoint) serveGoroutine(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, s *stream) {
	hb := time.NewTimer(e.cfg.Heartbeat)
	defer hb.Stop()
	for {
		var frames []byte
		var bp *[]byte
		var end error
		deadline := time.Time{} // set when there is something to write
		select {
		case <-s.wake:
			bp = getBuf()
			frames, end = s.sub.Drain((*bp)[:0])
			frames = append(frames, e.endFrame(s, end)...)
		case <-hb.C:
			frames = e.heartbeatFrame
		case <-r.Context().Done():
			s.finish(nil)
			return
		case <-e.done:
			frames, end, deadline = e.byeFrame, hub.ErrClosed, e.byeDeadline()
		}
		if len(frames) > 0 {
			if deadline.IsZero() {
				deadline = e.deadline()
			}
			if err := e.writeResponse(w, rc, frames, deadline); err != nil {
				end = errWrite
			}
			hb.Reset(e.cfg.Heartbeat)
		}
		if bp != nil {
			putBuf(bp, frames)
		}
		if end != nil {
			s.finish(end)
			return
		}
	}
}
