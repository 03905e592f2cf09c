package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// writePathConfig is what the endpoint hands its shared writers: its
// frames, its deadlines, its done channel and its goroutine count. They
// reach the rest of the endpoint only through their streams, each the
// writepath.Owner of its state (Finish, EndFrame, WriteEnd, Notify).
func (e *endpoint) writePathConfig() writepath.Config {
	return writepath.Config{
		HeartbeatFrame:      e.heartbeatFrame,
		CompressedHeartbeat: e.z.heartbeat,
		Encodings:           e.cfg.Compression,
		Heartbeat:           e.cfg.Heartbeat,
		Bye:                 e.bye,
		Deadline:            e.deadline,
		ByeDeadline:         e.byeDeadline,
		Done:                e.done,
		Go:                  e.goTracked,
	}
}

// goTracked runs f on a goroutine counted among the endpoint's (Shutdown
// waits for it). The caller keeps the count above zero.
func (e *endpoint) goTracked(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// The stream is the Owner of its writepath.Stream: what the shared
// writers call back.

// WriteState returns the write path's state of s.
func (s *stream) WriteState() *writepath.Stream { return &s.Stream }

// Finish unsubscribes s and accounts for why it ended (finish).
func (s *stream) Finish(err error) { s.finish(err) }

// Notify hands s a wake-up while it keeps its own goroutine (notify).
func (s *stream) Notify() { s.notify() }

// EndFrame is what the write path appends when a read reports the end
// err of s (endpoint.endFrame).
func (s *stream) EndFrame(err error) []byte { return s.e.endFrame(s, err) }

// WriteEnd is why a shared writer's write of s that failed with err ends
// it (endpoint.writeEnd).
func (s *stream) WriteEnd(ctx context.Context, err error, deadline time.Time) error {
	return s.e.writeEnd(s, ctx, err, deadline)
}

// response is how a stream with its own goroutine writes: its
// ResponseWriter, flushed and given deadlines through ctl.
type response struct {
	http.ResponseWriter
	ctl *writeControl
}

// Flush flushes through the controller that can (http.ErrNotSupported if
// none).
func (r response) Flush() error { return r.ctl.flush.Flush() }

// SetWriteDeadline sets the deadline of the stream's writes where it can
// be set (http.ErrNotSupported where not).
func (r response) SetWriteDeadline(t time.Time) error { return r.ctl.deadline.SetWriteDeadline(t) }
