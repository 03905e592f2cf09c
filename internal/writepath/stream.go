package writepath

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/compress"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// ErrWrite marks a stream ended by a write that timed out or failed for
// another reason than the client leaving.
var ErrWrite = errors.New("sse server: write to client failed")

// ErrGone marks a stream whose client closed or reset the connection.
var ErrGone = errors.New("sse server: client closed the connection")

// ClientGone reports whether a write error says the client closed or
// reset the connection.
func ClientGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED)
}

// Stream is the write-path state of one event stream: its position in the
// hub's logs, the connection once it is taken over, and what its shared
// writer keeps of it. The endpoint's stream holds it as its first field:
// the fields a shared writer and the hub's wake-up touch on every event
// lie in its first 64 bytes (TestStreamLayout), one cache line per stream
// and event.
type Stream struct {
	// Sub is the stream's hub subscriber, set when it subscribes.
	Sub *hub.Subscriber
	// w is the shared writer once the stream is taken over; then the
	// hub wakes it through that writer's Waker (takeWoken), not its
	// owner's Notify.
	w atomic.Pointer[writer]

	// Taken-over streams only.
	lastWrite atomic.Int64 // MonoNow of the last write
	endErr    error        // why the stream must end; set by its writer
	queued    bool         // in w.ready; guarded by w.mu
	flushing  bool         // a flusher goroutine owns the stream; guarded by w.mu
	gone      bool         // no longer one of w.conns; guarded by w.mu
	ended     bool         // the writer ended it; it may still sit in w.ready
	// midChunk: a chunk was left unfinished (a write failed or was cut
	// short): the last-chunk marker must not follow.
	midChunk bool
	// Conn owns the taken-over connection and its descriptor (its hot
	// words, the descriptor and its state, in this cache line): the only
	// way to write, peek at or close it.
	Conn Conn

	// home is the shared writer a stream that may be taken over is
	// subscribed with (its Waker) and goes to; nil for the others.
	home *writer
}

// Owner is the endpoint's stream, which holds a Stream: the hub
// subscriber's Owner, and what the writers call at the end of a stream and
// when a write fails. Nothing else of the endpoint reaches the writers.
type Owner interface {
	// WriteState returns the Stream it holds.
	WriteState() *Stream
	// Finish unsubscribes the stream and accounts for why it ended; the
	// writers call it once, on a goroutine of its own.
	Finish(err error)
	// Notify hands on a wake-up of a stream that kept its own goroutine.
	Notify()
	// EndFrame is the frame to write when a read reports the end err
	// (nil: none).
	EndFrame(err error) []byte
	// WriteEnd is why a write that failed with err under deadline ends
	// the stream; ctx is its request's (a taken-over stream's has none:
	// context.Background()).
	WriteEnd(ctx context.Context, err error, deadline time.Time) error
}

// Assign gives s a shared writer of p to go to once taken over; from its
// subscription on (with SubscribeOptions), that writer hands it the hub's
// wake-ups. The caller keeps the endpoint's goroutine count above zero.
func (p *Pool) Assign(s *Stream) { s.home = p.pick() }

// Shared reports whether s was given a shared writer (Assign).
func (s *Stream) Shared() bool { return s.home != nil }

// SubscribeOptions says how the hub wakes a stream given a shared writer:
// through that writer's Waker, which hands the wake-up on to the owner's
// Notify while the stream is not taken over.
func (s *Stream) SubscribeOptions(o Owner) []hub.SubscribeOption {
	return []hub.SubscribeOption{hub.WakeWith(s.home.waker), hub.Owner(o)}
}

// owner is the endpoint's stream holding s.
func (s *Stream) owner() Owner { return s.Sub.Owner().(Owner) }

// encode appends frame to dst in the stream's encoding.
func (s *Stream) encode(dst, frame []byte) []byte { return s.Sub.AppendPlain(dst, frame) }

// compressed reports whether the stream is compressed.
func (s *Stream) compressed() bool { return s.Sub.Encoding() != compress.Identity }

// trailer ends the stream's encoding.
func (s *Stream) trailer() []byte { return s.Sub.AppendTrailer(nil) }

// EachCounters calls f with the counters of each writer of p.
func (p *Pool) EachCounters(f func(*Counters)) {
	for _, w := range p.writers {
		f(&w.counters)
	}
}
