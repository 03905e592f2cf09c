package broker

import (
	"time"

	mbroker "go-micro.dev/v4/broker"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// The options of the hub the broker owns. They are broker options because
// the broker makes the hub: one owner, one place where they are set. They
// are read once, when the hub is made (NewBroker); Init refuses them later
// (ErrHubMade). A server serving this broker's hub takes the hub as it is:
// its own history options are for a hub of its own (a foreign broker).
// What zero means: no history (count, bytes, budget), no replay
// (MaxReplay), no age bound (MaxHistoryAge).

type hubOptionsKey struct{}

// hubOption appends o to the hub options carried in the broker options.
func hubOption(o hub.Option) mbroker.Option {
	return func(bo *mbroker.Options) {
		prev, _ := contextValue(bo, hubOptionsKey{}).([]hub.Option)
		setBrokerOption(hubOptionsKey{}, append(prev[:len(prev):len(prev)], o))(bo)
	}
}

// hubOptions returns the hub options given to the broker, in order.
func hubOptions(o *mbroker.Options) []hub.Option {
	opts, _ := contextValue(o, hubOptionsKey{}).([]hub.Option)
	return opts
}

// contextValue returns the value under k in o.Context, or nil.
func contextValue(o *mbroker.Options, k any) any {
	if o.Context == nil {
		return nil
	}
	return o.Context.Value(k)
}

// MaxHistoryEvents bounds each topic's history (its log, what resuming
// browsers and readers behind a burst read from) to n events (default
// 10,000); 0 keeps no history: events are held only until the browsers on
// the topic have read them, and a resume replays nothing.
func MaxHistoryEvents(n int) mbroker.Option { return hubOption(hub.MaxHistoryEvents(n)) }

// MaxHistoryBytes bounds each topic's history to n bytes of encoded frames
// (default 8 MiB); 0 keeps no history (as MaxHistoryEvents(0)).
func MaxHistoryBytes(n int) mbroker.Option { return hubOption(hub.MaxHistoryBytes(n)) }

// MaxHistoryAge drops events older than d from the history (default 24h);
// 0 removes the age bound.
func MaxHistoryAge(d time.Duration) mbroker.Option { return hubOption(hub.MaxHistoryAge(d)) }

// HistoryBudget bounds the history of all topics together to n bytes of
// encoded frames (default 64 MiB), the least recently published topic's
// oldest events going first; 0 keeps no history (as MaxHistoryEvents(0)).
func HistoryBudget(n int) mbroker.Option { return hubOption(hub.HistoryBudget(n)) }

// MaxReplay bounds how many events one resume replays (default 10,000): a
// browser further behind gets sse-reset (codec.ResetReplayLimit) in place
// of the oldest; 0 replays nothing.
func MaxReplay(n int) mbroker.Option { return hubOption(hub.MaxReplay(n)) }

// ExplicitTopics makes topics exist for browsers only once created
// (the server's CreateTopic); see the server's ExplicitTopics.
func ExplicitTopics() mbroker.Option { return hubOption(hub.ExplicitTopics()) }

// KeepPublisherIDs makes a message's Sse-Id header the event's id on the
// wire instead of the hub's sequence; the publisher must keep them ordered
// for resuming to work.
func KeepPublisherIDs() mbroker.Option { return hubOption(hub.KeepPublisherIDs()) }

// Base64Data writes every event's data as one line of standard base64, so
// binary payloads (protobuf) reach browsers (a browser decodes with atob).
func Base64Data() mbroker.Option { return hubOption(hub.WithDataEncoding(codec.DataBase64)) }
