package hub

import (
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// Defaults of Options. A demo never reaches them; a long-running service
// holds at most HistoryEvents or HistoryBytes per topic, for at most
// HistoryAge, and at most QueueFrames or QueueBytes per subscriber.
const (
	DefaultHistoryEvents = 10_000
	DefaultHistoryBytes  = 8 << 20
	DefaultHistoryAge    = 24 * time.Hour
	DefaultQueueFrames   = 1024
	DefaultQueueBytes    = 4 << 20
)

// Options configure a Hub. Set them with Option functions in New or Apply.
type Options struct {
	// HistoryEvents bounds each topic's history by count (default
	// DefaultHistoryEvents); 0 keeps no history.
	HistoryEvents int
	// HistoryBytes bounds each topic's history by encoded frame bytes
	// (default DefaultHistoryBytes); 0 keeps no history.
	HistoryBytes int
	// HistoryAge drops events older than this from history (default
	// DefaultHistoryAge); 0 means no age bound (count and bytes still hold).
	HistoryAge time.Duration
	// QueueFrames bounds each subscriber's queue of live frames (default
	// DefaultQueueFrames).
	QueueFrames int
	// QueueBytes bounds each subscriber's queue of live frames by bytes
	// (default DefaultQueueBytes).
	QueueBytes int
	// ExplicitTopics makes Publish and Subscribe refuse topics not created
	// with CreateTopic (ErrUnknownTopic).
	ExplicitTopics bool
	// KeepPublisherIDs makes a non-empty Event.ID given to Publish the id of
	// the event on the wire instead of a hub id (see the package doc for the
	// ordering rules).
	KeepPublisherIDs bool
	// DataEncoding is how Event.Data is encoded (codec.DataText by default).
	DataEncoding codec.DataEncoding
	// OnSubscribe is called when a topic gets its first subscriber.
	OnSubscribe func(topic string)
	// OnUnsubscribe is called when a topic loses its last subscriber.
	OnUnsubscribe func(topic string)
}

// Option sets a field of Options.
type Option func(*Options)

func defaultOptions() Options {
	return Options{
		HistoryEvents: DefaultHistoryEvents,
		HistoryBytes:  DefaultHistoryBytes,
		HistoryAge:    DefaultHistoryAge,
		QueueFrames:   DefaultQueueFrames,
		QueueBytes:    DefaultQueueBytes,
	}
}

// MaxHistoryEvents bounds each topic's history to n events; n <= 0 keeps
// no history (every resume with an id is then ResumeLost unless nothing was
// published after it).
func MaxHistoryEvents(n int) Option {
	return func(o *Options) { o.HistoryEvents = max(n, 0) }
}

// MaxHistoryBytes bounds each topic's history to n bytes of encoded frames;
// n <= 0 keeps no history.
func MaxHistoryBytes(n int) Option {
	return func(o *Options) { o.HistoryBytes = max(n, 0) }
}

// MaxHistoryAge drops events older than d from history; d <= 0 removes the
// age bound.
func MaxHistoryAge(d time.Duration) Option {
	return func(o *Options) { o.HistoryAge = max(d, 0) }
}

// QueueLimits bounds each subscriber's queue of live frames to frames
// frames and bytes bytes; a value <= 0 keeps the current one.
func QueueLimits(frames, bytes int) Option {
	return func(o *Options) {
		if frames > 0 {
			o.QueueFrames = frames
		}
		if bytes > 0 {
			o.QueueBytes = bytes
		}
	}
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

// OnSubscribe sets the hook called when a topic gets its first subscriber.
// Hooks are called one at a time, in the order of the changes, never under
// the publish lock; a hook must not call Subscribe, Subscriber.Close or
// Hub.Close (it may call Publish).
func OnSubscribe(fn func(topic string)) Option {
	return func(o *Options) { o.OnSubscribe = fn }
}

// OnUnsubscribe sets the hook called when a topic loses its last
// subscriber (closed, cut off or hub closed), with the same rules as
// OnSubscribe.
func OnUnsubscribe(fn func(topic string)) Option {
	return func(o *Options) { o.OnUnsubscribe = fn }
}
