package broker

import (
	"context"

	mbroker "go-micro.dev/v4/broker"
)

// DefaultSubscriberQueue is the number of messages an in-process
// subscription holds while its handler is busy, unless SubscriberQueue says
// otherwise.
const DefaultSubscriberQueue = 1024

type subscriberQueueKey struct{}

// SubscriberQueue sets how many messages each in-process subscription
// holds while its handler is busy (default DefaultSubscriberQueue; n < 1
// means 1). A message that finds the queue full is dropped for that
// subscription and counted in Stats.Dropped. It applies to subscriptions
// made after it is set.
func SubscriberQueue(n int) mbroker.Option {
	return setBrokerOption(subscriberQueueKey{}, n)
}

// setBrokerOption stores a plugin option in go-micro's Options.Context.
func setBrokerOption(k, v any) mbroker.Option {
	return func(o *mbroker.Options) {
		if o.Context == nil {
			o.Context = context.Background()
		}
		o.Context = context.WithValue(o.Context, k, v)
	}
}

// subscriberQueue reads SubscriberQueue from the options.
func subscriberQueue(o *mbroker.Options) int {
	n := DefaultSubscriberQueue
	if o.Context != nil {
		if v, ok := o.Context.Value(subscriberQueueKey{}).(int); ok {
			n = v
		}
	}
	return max(n, 1)
}
