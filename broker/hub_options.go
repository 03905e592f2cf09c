package broker

import (
	"time"

	mbroker "go-micro.dev/v4/broker"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// The options of the hub the broker owns, defined here once. They are
// broker options because the broker makes the hub: one owner, one place
// where they are set. They are read once, when the hub is made
// (NewBroker); Init refuses them later (ErrHubOptions). A server serving
// this broker's hub serves it as it is; a server with another broker makes
// a hub of its own from the same options (sse.OwnHub). What zero means:
// no history (count, bytes, budget), no replay (MaxReplay), no age bound
// (MaxHistoryAge).

// hubOption appends o to the hub options carried in the broker options.
func hubOption(o hub.Option) mbroker.Option {
	return func(bo *mbroker.Options) { bo.Context = hub.ContextWithOption(bo.Context, o) }
}

// hubOptions returns the hub options given to the broker, in order.
func hubOptions(o *mbroker.Options) []hub.Option { return hub.OptionsFrom(o.Context) }

// MaxHistoryEvents bounds each topic's history (its log, what resuming
// browsers and readers behind a burst read from) to n events (default
// 10,000); 0 keeps no history: events are held only until the browsers on
// the topic have read them, and a resume replays nothing.
func MaxHistoryEvents(n int) mbroker.Option { return hubOption(hub.MaxHistoryEvents(n)) }

// MaxHistoryBytes bounds each topic's history to n bytes of encoded frames
// (default 8 MiB); 0 keeps no history (as MaxHistoryEvents(0)). An event
// larger than n is refused at Publish (ErrEventTooLarge), as one larger
// than the 1 MiB live window when there is no history.
func MaxHistoryBytes(n int) mbroker.Option { return hubOption(hub.MaxHistoryBytes(n)) }

// MaxHistoryAge drops events older than d from the history (default 24h);
// 0 removes the age bound.
func MaxHistoryAge(d time.Duration) mbroker.Option { return hubOption(hub.MaxHistoryAge(d)) }

// HistoryBudget bounds the history of all topics together to n bytes of
// encoded frames (default 64 MiB), the least recently published topic's
// oldest events going first; 0 keeps no history (as MaxHistoryEvents(0)).
// An event larger than n is refused at Publish (ErrEventTooLarge).
func HistoryBudget(n int) mbroker.Option { return hubOption(hub.HistoryBudget(n)) }

// MaxReplay bounds how many events one resume replays (default 10,000): a
// browser further behind gets sse-reset (codec.ResetReplayLimit) in place
// of the oldest; 0 replays nothing.
func MaxReplay(n int) mbroker.Option { return hubOption(hub.MaxReplay(n)) }

// ExplicitTopics makes topics exist only once created (the server's
// CreateTopic): a browser asking for another topic is answered 404 and a
// publish to it fails. Without it topics are created on first use.
func ExplicitTopics() mbroker.Option { return hubOption(hub.ExplicitTopics()) }

// KeepPublisherIDs makes a message's Sse-Id header (an Event's ID) the
// event's id on the wire instead of the hub's sequence; the publisher must
// keep them ordered for resuming to work. An id longer than 256 bytes is
// refused (ErrIDTooLong).
func KeepPublisherIDs() mbroker.Option { return hubOption(hub.KeepPublisherIDs()) }

// Base64Data writes every event's data as one line of standard base64, so
// binary payloads (protobuf) reach browsers (a browser decodes with atob).
// Without it a message reaches browsers base64-encoded only when it asks
// for it (the header Sse-Encoding: base64, codec.HeaderEncoding); a
// go-micro message whose body is not valid UTF-8 and asks for nothing goes
// to in-process subscribers only (skipped for browsers, counted in the
// broker's or the server's Stats.BinarySkipped, logged with its topic),
// and the server's Publish of such an Event returns codec.ErrInvalidUTF8.
func Base64Data() mbroker.Option { return hubOption(hub.WithDataEncoding(codec.DataBase64)) }
