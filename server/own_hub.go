package server

import (
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

type ownHubKey struct{}

// OwnHub sets the hub the server makes for itself when its broker is not
// this module's (the server then owns a hub and bridges the broker into
// it). opts are the hub options ssebroker.NewBroker takes, with the same
// meanings and defaults: ssebroker.MaxHistoryEvents, MaxHistoryBytes,
// MaxHistoryAge, HistoryBudget, MaxReplay, ExplicitTopics,
// KeepPublisherIDs and Base64Data; other broker options are ignored.
// OwnHub given more than once adds to what was given.
//
// With this module's broker the hub is the broker's and so are its
// options: Start then fails with an error wrapping
// ssebroker.ErrHubOptions, and nothing is half-applied.
func OwnHub(opts ...broker.Option) server.Option {
	var bo broker.Options
	for _, o := range opts {
		o(&bo)
	}
	given := hub.OptionsFrom(bo.Context)
	return func(o *server.Options) {
		var prev []hub.Option
		if o.Context != nil {
			prev, _ = o.Context.Value(ownHubKey{}).([]hub.Option)
		}
		setOption(ownHubKey{}, append(prev[:len(prev):len(prev)], given...))(o)
	}
}
