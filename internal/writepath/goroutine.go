package writepath

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/compress"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Response is how a stream with a goroutine of its own writes: through
// its ResponseWriter (W), with one flush per write and a per-write
// deadline. Flush and SetWriteDeadline may answer http.ErrNotSupported
// (a writer that offers neither): the write goes on without it.
type Response interface {
	io.Writer
	Flush() error
	SetWriteDeadline(time.Time) error
}

// ServeGoroutine runs o's stream on the calling goroutine (HTTP/2, TLS,
// wrapped writers, GoroutinePerStream): woken through wake, it reads one
// batch and writes it with one write and one flush, waking itself again
// (o.Notify) while more is due; a heartbeat comment follows any
// HeartbeatTick without a write. It returns after o.Finish, once the
// client goes away (ctx), a write fails, the hub ends the subscriber or
// the endpoint shuts down (Done: the shutdown hint, then the end).
// Writes are counted in counters.
func (c *Config) ServeGoroutine(ctx context.Context, o Owner, wake <-chan struct{}, w Response, counters *Counters) {
	s := o.WriteState()
	hb := time.NewTimer(HeartbeatTick(c.Heartbeat))
	defer hb.Stop()
	for {
		var frames []byte
		var bp *[]byte
		var batch bool // frames read from the hub
		var end error
		deadline := time.Time{} // set when there is something to write
		select {
		case <-wake:
			bp, batch = GetBuf(), true
			var more bool
			frames, more, end = ReadCopy(s.Sub, (*bp)[:0])
			if f := o.EndFrame(end); f != nil {
				frames = s.Sub.AppendPlain(frames, f)
			}
			if end != nil {
				frames = s.Sub.AppendTrailer(frames) // a clean end
			}
			if more {
				o.Notify()
			}
		case <-hb.C:
			frames = c.HeartbeatFrame
			if s.Sub.Encoding() != compress.Identity {
				bp = GetBuf()
				frames = s.Sub.AppendFrame((*bp)[:0], c.CompressedHeartbeat)
			}
		case <-ctx.Done():
			o.Finish(ErrGone)
			return
		case <-c.Done:
			bp = GetBuf()
			frames = s.Sub.AppendTrailer(s.Sub.AppendPlain((*bp)[:0], c.Bye()))
			end, deadline = hub.ErrClosed, c.ByeDeadline()
		}
		if len(frames) > 0 {
			if deadline.IsZero() {
				deadline = c.Deadline()
			}
			if err := c.WriteResponse(w, frames, deadline, counters); err != nil {
				end = o.WriteEnd(ctx, err, deadline)
			} else if batch {
				counters.ObserveWrite(s.Sub)
			}
			hb.Reset(HeartbeatTick(c.Heartbeat))
		}
		if bp != nil {
			PutBuf(bp, frames)
		}
		if end != nil {
			o.Finish(end)
			return
		}
	}
}

// WriteResponse writes b with one write and one flush under deadline
// (when w can set one), counted in counters.
func (c *Config) WriteResponse(w Response, b []byte, deadline time.Time, counters *Counters) error {
	if err := w.SetWriteDeadline(deadline); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	// Shutdown may have begun after deadline was chosen and cut the
	// tracked streams' deadlines before this one was set: cut it now.
	select {
	case <-c.Done:
		if bye := c.ByeDeadline(); bye.Before(deadline) {
			_ = w.SetWriteDeadline(bye)
		}
	default:
	}
	n, err := w.Write(b)
	counters.Wrote(n)
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
