package writepath

import (
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/compress"
)

// Config is what the endpoint hands the shared writers: the frames they
// write of their own, the deadlines of their writes, the endpoint's end
// and how to run a goroutine it waits for. The writers reach nothing else
// of the endpoint.
type Config struct {
	// HeartbeatFrame is the heartbeat comment frame; CompressedHeartbeat
	// is the same frame compressed in each of Encodings (nil without
	// compression).
	HeartbeatFrame      []byte
	CompressedHeartbeat *compress.Frame
	Encodings           []compress.Encoding
	// Heartbeat is the interval no stream stays silent for
	// (HeartbeatTick, HeartbeatQuiet).
	Heartbeat time.Duration
	// Bye returns the shutdown hint of one stream (its retry may be
	// jittered, so one a call).
	Bye func() []byte
	// Deadline is the deadline of a write starting now; ByeDeadline that
	// of a write once the endpoint shuts down.
	Deadline    func() time.Time
	ByeDeadline func() time.Time
	// Done is closed when the endpoint shuts down: the writers end their
	// streams with the shutdown hint and return.
	Done <-chan struct{}
	// Go runs f on a goroutine the endpoint waits for before its shutdown
	// completes. The writers call it only while one of their own such
	// goroutines runs, or while the caller holds the endpoint's count
	// above zero.
	Go func(f func())
}
