package server

import (
	"context"
	"errors"
	"net"
	"os"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// Why a stream ended: the "end" field of its close log line, and the
// counter of EndpointStats it is counted in.
const (
	EndClientGone  = "client_gone"  // the client closed or reset the connection (ClientGone)
	EndWriteFailed = "write_failed" // a write timed out or failed (WriteFailed)
	EndSlow        = "slow"         // the client fell behind the history (CutOffSlow)
	EndShutdown    = "shutdown"     // Stop, DeleteTopic or a feed that failed, with a retry hint (Shutdown)
	EndAuthExpired = "auth_expired" // its token expired (AuthExpired)
	EndHookPanic   = "hook_panic"   // OnSubscribe panicked (HookPanics)
)

// endOf is the End constant of a stream that ended because of err (nil:
// the client left).
func (s *stream) endOf(err error) string {
	switch {
	case err == nil, errors.Is(err, errGone):
		return EndClientGone
	case errors.Is(err, hub.ErrEvicted):
		return EndSlow
	case errors.Is(err, errWrite):
		return EndWriteFailed
	case errors.Is(err, errHookPanic):
		return EndHookPanic
	case errors.Is(err, hub.ErrUnsubscribed):
		if s.expired.Load() {
			return EndAuthExpired
		}
		return EndClientGone
	default: // hub.ErrClosed, or the hub's source failed
		return EndShutdown
	}
}

// errWrite marks a stream ended by a write that timed out or failed for
// another reason than the client leaving; errGone one whose client closed
// or reset the connection. The write path's own.
var (
	errWrite = writepath.ErrWrite
	errGone  = writepath.ErrGone
)

// writeEnd is why a write that failed with err ends s: the subscriber's
// end when the hub ended it meanwhile (evicted: the write was cut short),
// errWrite when it timed out (its deadline passed, or Shutdown cut it),
// errGone when the client closed or reset the connection (a broken pipe,
// a reset, or net/http canceled the request: on HTTP/2 a stream the
// client reset), else errWrite.
func (e *endpoint) writeEnd(s *stream, ctx context.Context, err error, deadline time.Time) error {
	if end := s.Sub.Err(); end != nil {
		return end
	}
	return e.failedWrite(ctx, err, deadline)
}

// failedWrite is why a write that failed with err ends its stream:
// errWrite when it timed out (its deadline passed, or Shutdown cut it),
// errGone when the client left, else errWrite.
func (e *endpoint) failedWrite(ctx context.Context, err error, deadline time.Time) error {
	if isTimeout(err) || !time.Now().Before(deadline) || e.closing() {
		return errWrite
	}
	if clientGone(err) || (ctx != nil && ctx.Err() != nil) {
		return errGone
	}
	return errWrite
}

// countEnd counts a stream that ended with the End constant end.
func (e *endpoint) countEnd(end string) {
	switch end {
	case EndSlow:
		e.cutOffSlow.Add(1)
	case EndWriteFailed:
		e.writeFailed.Add(1)
	case EndClientGone:
		e.clientGone.Add(1)
	case EndShutdown:
		e.shutdownEnded.Add(1)
	case EndAuthExpired:
		e.authExpired.Add(1)
	}
}

// clientGone reports whether a write error says the client closed or
// reset the connection.
var clientGone = writepath.ClientGone

// isTimeout reports whether a write error is a deadline that passed.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// closing reports whether the endpoint is shutting down.
func (e *endpoint) closing() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
