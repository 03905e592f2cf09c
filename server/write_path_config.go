package server

import (
	"context"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// writePathConfig is what the endpoint hands its shared writers: its
// frames, its deadlines, its done channel and its goroutine count. They
// reach the rest of the endpoint only through their streams (finish,
// endFrame, writeEnd, notify).
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

// endFrame is what the write path appends when a read reports the end err
// of s (endpoint.endFrame).
func (s *stream) endFrame(err error) []byte { return s.e.endFrame(s, err) }

// writeEnd is why a write of s that failed with err ends it
// (endpoint.writeEnd).
func (s *stream) writeEnd(ctx context.Context, err error, deadline time.Time) error {
	return s.e.writeEnd(s, ctx, err, deadline)
}
