package server

import (
	"errors"
	"math/rand/v2"
	"time"

	merrors "go-micro.dev/v4/errors"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// The frames the server writes of its own, beside the hub's: on open (the
// retry), as heartbeat (both made once by newEndpoint), and at the end of
// a stream (the shutdown hint, the expiry event).

// endFrame is what the write path appends when a read reports the end err
// of s: the shutdown hint when the hub closed, the expiry event when the
// token expired, else nothing.
func (e *endpoint) endFrame(s *stream, err error) []byte {
	switch {
	case errors.Is(err, hub.ErrClosed):
		return e.bye()
	case errors.Is(err, hub.ErrUnsubscribed) && s.expired.Load():
		return e.expiredFrame()
	}
	return nil
}

// bye is the shutdown hint of one stream: its retry is jitteredRetry.
func (e *endpoint) bye() []byte {
	f, _ := (&codec.Event{Comment: "shutdown", Retry: e.jitteredRetry()}).AppendTo(nil)
	return f
}

// jitteredRetry is Retry plus a random part of ShutdownJitter: when a
// client is sent away (its stream ended by Stop, a new one refused while
// stopping or not ready), so that the clients of a node do not all come
// back in the same instant.
func (e *endpoint) jitteredRetry() time.Duration {
	retry := e.cfg.Retry
	if j := e.cfg.ShutdownJitter; j > 0 {
		retry += rand.N(j)
	}
	return retry
}

// expiredFrame is the last frame of a stream whose token expired.
func (e *endpoint) expiredFrame() []byte {
	b, _ := (&codec.Event{Event: EventError, Data: errorJSON("sse", merrors.Unauthorized("sse", "token expired"))}).AppendTo(nil)
	return b
}
