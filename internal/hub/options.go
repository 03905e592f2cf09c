package hub

import (
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// Defaults of Options. A demo never reaches them; a long-running service
// holds at most HistoryEvents or HistoryBytes per topic, for at most
// HistoryAge, and at most HistoryBudget bytes over all topics.
const (
	DefaultHistoryEvents = 10_000
	DefaultHistoryBytes  = 8 << 20
	DefaultHistoryAge    = 24 * time.Hour
	DefaultHistoryBudget = 64 << 20
	DefaultMaxReplay     = 10_000
)

// Options configure a Hub. Set them with Option functions in New: the
// hub's owner sets them once, where it makes the hub.
//
// What zero means: for HistoryEvents, HistoryBytes and HistoryBudget zero
// keeps no history: a topic's log holds an event only until the topic's
// subscribers have read it (freed at the topic's next publish), at most
// liveWindowEvents or liveWindowBytes behind the newest (a reader further
// behind is ended), so live readers are served and a resume replays
// nothing; for MaxReplay zero replays nothing (resumes that missed events
// get the reset); for HistoryAge zero means no age bound. A negative
// value is taken as zero.
type Options struct {
	// HistoryEvents bounds each topic's log by count (default
	// DefaultHistoryEvents); 0 keeps no history (see above).
	HistoryEvents int
	// HistoryBytes bounds each topic's log by encoded frame bytes, their
	// compressed forms included (default DefaultHistoryBytes); 0 keeps no
	// history (see above).
	HistoryBytes int
	// HistoryAge drops events older than this from the logs (default
	// DefaultHistoryAge); 0 means no age bound.
	HistoryAge time.Duration
	// HistoryBudget bounds the frame bytes of all topics' logs together
	// (default DefaultHistoryBudget): past it the oldest events of the
	// least recently published topic are evicted first; 0 keeps no
	// history (see above).
	HistoryBudget int
	// MaxReplay bounds the events one resume replays (default
	// DefaultMaxReplay): a client further behind skips the oldest, with a
	// reset event (codec.ResetReplayLimit); 0 replays nothing.
	MaxReplay int
	// ExplicitTopics makes Publish and Subscribe refuse topics not created
	// with CreateTopic (ErrUnknownTopic).
	ExplicitTopics bool
	// KeepPublisherIDs makes a non-empty Event.ID given to Publish the id of
	// the event on the wire instead of a hub id (see the package doc for the
	// ordering rules).
	KeepPublisherIDs bool
	// DataEncoding is how Event.Data is encoded (codec.DataText by default).
	DataEncoding codec.DataEncoding
	// Epoch is the epoch of the hub's ids; empty draws a random one.
	Epoch string
	// Source serves the events older than the local log; a hub with one
	// is fed from outside (Append).
	Source Source
	// Start is where the local log of a fed hub starts (0: at the first
	// record appended).
	Start uint64
}

// Option sets a field of Options.
type Option func(*Options)

func defaultOptions() Options {
	return Options{
		HistoryEvents: DefaultHistoryEvents,
		HistoryBytes:  DefaultHistoryBytes,
		HistoryAge:    DefaultHistoryAge,
		HistoryBudget: DefaultHistoryBudget,
		MaxReplay:     DefaultMaxReplay,
	}
}

// MaxHistoryEvents bounds each topic's log to n events; n <= 0 keeps no
// history: events are held only for the live readers (see Options), and a
// resume with an id is answered with a reset unless it missed nothing.
func MaxHistoryEvents(n int) Option {
	return func(o *Options) { o.HistoryEvents = max(n, 0) }
}

// MaxHistoryBytes bounds each topic's log to n bytes of encoded frames;
// n <= 0 keeps no history (as MaxHistoryEvents(0)).
func MaxHistoryBytes(n int) Option {
	return func(o *Options) { o.HistoryBytes = max(n, 0) }
}

// MaxHistoryAge drops events older than d from the logs; d <= 0 removes the
// age bound.
func MaxHistoryAge(d time.Duration) Option {
	return func(o *Options) { o.HistoryAge = max(d, 0) }
}

// HistoryBudget bounds the encoded frame bytes held by all topics' logs
// together to n; past it, the oldest events of the least recently
// published topic go first. n <= 0 keeps no history (as
// MaxHistoryEvents(0)).
func HistoryBudget(n int) Option {
	return func(o *Options) { o.HistoryBudget = max(n, 0) }
}

// MaxReplay bounds how many events one resume replays to n: a client
// further behind gets a reset event (codec.ResetReplayLimit) in place of
// the oldest ones, then the newest n. n <= 0 replays nothing.
func MaxReplay(n int) Option {
	return func(o *Options) { o.MaxReplay = max(n, 0) }
}

// ExplicitTopics makes the hub refuse topics not created with CreateTopic.
func ExplicitTopics() Option {
	return func(o *Options) { o.ExplicitTopics = true }
}

// KeepPublisherIDs makes a publisher's Event.ID (from the Sse-Id header)
// the event's id on the wire when it is set.
func KeepPublisherIDs() Option {
	return func(o *Options) { o.KeepPublisherIDs = true }
}

// WithDataEncoding sets how event data is encoded (codec.DataText or
// codec.DataBase64).
func WithDataEncoding(enc codec.DataEncoding) Option {
	return func(o *Options) { o.DataEncoding = enc }
}

// WithEpoch sets the epoch of the hub's ids (1 to maxEpochLen characters
// of [0-9a-z]; New panics with errInvalidEpoch otherwise). With a log fed
// from outside it names the outside log's lifetime, so that the same event
// has the same id on every node.
func WithEpoch(epoch string) Option {
	return func(o *Options) { o.Epoch = epoch }
}

// WithSource makes the hub fed from outside: events come in through
// Append with the outside log's sequence (Publish returns ErrFed), and the
// ranges older than the local log are fetched from src.
func WithSource(src Source) Option {
	return func(o *Options) { o.Source = src }
}

// WithStart says where the local log of a hub fed from outside starts: at
// sequence seq (> 0), the outside log's last sequence + 1 when the node
// starts. Nothing below it is held (a resume below it is filled from the
// Source at once), and an Append below it is ErrStale. Without it the
// first record appended is the start.
func WithStart(seq uint64) Option {
	return func(o *Options) { o.Start = seq }
}
