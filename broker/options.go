package broker

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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

type (
	jetStreamKey               struct{}
	jetStreamMaxAgeKey         struct{}
	jetStreamMaxBytesKey       struct{}
	jetStreamMaxMsgsPerSubjKey struct{}
	jetStreamPublishTimeoutKey struct{}
	jetStreamFetchTimeoutKey   struct{}
	jetStreamStallTimeoutKey   struct{}
	jetStreamConnectWaitKey    struct{}
	jetStreamReplicasKey       struct{}
	jetStreamConfigKey         struct{}
	jetStreamUnreadyAfterKey   struct{}
)

// jetStreamConn is what the JetStream option holds.
type jetStreamConn struct {
	nc     *nats.Conn
	stream string
}

// JetStream makes the broker a node of a cluster whose log is the NATS
// JetStream stream called stream (letters, digits, '_', '-'), reached
// through nc (the caller owns nc: the broker never closes it). Connect
// finds the stream, or creates it (file storage, subjects "<stream>.*",
// the JetStreamMax... limits) when missing. Publish stores each message
// under the topic's subject (see Subject) and returns once JetStream
// acknowledged it, or an error wrapping ErrNotAcknowledged. Every node
// consumes the stream and feeds its hub, so an event has the same id on
// every node; see the package documentation, "Many nodes".
func JetStream(nc *nats.Conn, stream string) mbroker.Option {
	return setBrokerOption(jetStreamKey{}, jetStreamConn{nc: nc, stream: stream})
}

// JetStreamMaxAge bounds the age of the events the stream keeps when the
// broker creates it (default 0: no age bound). It does not change a stream
// that exists.
func JetStreamMaxAge(d time.Duration) mbroker.Option {
	return setBrokerOption(jetStreamMaxAgeKey{}, d)
}

// JetStreamMaxBytes bounds the bytes the stream keeps, oldest events
// dropped first, when the broker creates it (default 0: no bound).
func JetStreamMaxBytes(n int64) mbroker.Option {
	return setBrokerOption(jetStreamMaxBytesKey{}, n)
}

// JetStreamMaxMsgsPerSubject bounds the events the stream keeps per topic,
// oldest of the topic dropped first, when the broker creates it (default 0:
// no bound).
func JetStreamMaxMsgsPerSubject(n int64) mbroker.Option {
	return setBrokerOption(jetStreamMaxMsgsPerSubjKey{}, n)
}

// JetStreamPublishTimeout sets how long Publish waits for JetStream's
// acknowledgement (default DefaultJetStreamPublishTimeout).
func JetStreamPublishTimeout(d time.Duration) mbroker.Option {
	return setBrokerOption(jetStreamPublishTimeoutKey{}, d)
}

// JetStreamFetchTimeout bounds each look-up in the stream and each read of
// events older than the node's log (default 10s).
func JetStreamFetchTimeout(d time.Duration) mbroker.Option {
	return setBrokerOption(jetStreamFetchTimeoutKey{}, d)
}

// JetStreamStallTimeout sets how long a node may stay behind the stream
// without feeding its hub anything before it drops its consumer and
// consumes again, from the sequence after the last one fed, through
// whichever server its connection is on (default
// DefaultJetStreamStallTimeout; three times that while the stream does
// not answer). A consumer error, the server's shutdown notice or two
// missed heartbeats (2s) do the same at once.
func JetStreamStallTimeout(d time.Duration) mbroker.Option {
	return setBrokerOption(jetStreamStallTimeoutKey{}, d)
}

// DefaultJetStreamConnectWait is how long Connect keeps trying to find or
// create the stream unless JetStreamConnectWait says otherwise.
const DefaultJetStreamConnectWait = 30 * time.Second

// JetStreamConnectWait sets how long Connect keeps trying, 250ms apart, to
// find or create the stream while JetStream does not answer: a stream or a
// cluster electing a leader after a server was lost takes seconds (default
// DefaultJetStreamConnectWait; each try is bounded by 2s). d <= 0 means one
// try, bounded by JetStreamFetchTimeout. A stream that cannot hold the
// topics fails Connect at once (ErrStreamSubjects).
func JetStreamConnectWait(d time.Duration) mbroker.Option {
	return setBrokerOption(jetStreamConnectWaitKey{}, d)
}

// JetStreamReplicas sets how many servers of a NATS cluster hold the
// stream the broker creates (default 1; 3 in production, so that losing a
// server loses nothing). It does not change a stream that exists.
func JetStreamReplicas(n int) mbroker.Option {
	return setBrokerOption(jetStreamReplicasKey{}, n)
}

// JetStreamConfig gives the configuration of the stream the broker creates
// when it is missing (replicas, placement, storage, limits,
// deduplication window, ...), instead of the one the JetStreamMax... and
// JetStreamReplicas options make. Its name is the JetStream option's (an
// other name fails Connect with ErrInvalidStream); empty subjects mean
// "<stream>.*"; subjects without "<stream>.*" or "<stream>.>" fail Connect
// with ErrStreamSubjects. A stream that exists is used as it is.
func JetStreamConfig(cfg jetstream.StreamConfig) mbroker.Option {
	return setBrokerOption(jetStreamConfigKey{}, cfg)
}

// JetStreamUnreadyAfter sets how long a node may stay behind the stream
// without feeding anything (or away from NATS) before it is not ready:
// Ready fails with ErrFeedStalled, the server leaves the registry and the
// node's streams are ended with a retry hint, so that browsers move to a
// node that feeds (default DefaultJetStreamUnreadyAfter). A stream that
// does not answer while the connection is up (a leader election: the same
// for every node) does not count.
func JetStreamUnreadyAfter(d time.Duration) mbroker.Option {
	return setBrokerOption(jetStreamUnreadyAfterKey{}, d)
}

// jetStreamSet reports whether the JetStream option is set.
func jetStreamSet(o *mbroker.Options) bool {
	_, ok := o.Context.Value(jetStreamKey{}).(jetStreamConn)
	return ok
}

// jetStreamLimitsFrom reads the JetStream settings from the options.
func jetStreamLimitsFrom(o *mbroker.Options) jetStreamLimits {
	l := jetStreamLimits{
		publishTimeout: DefaultJetStreamPublishTimeout, fetchTimeout: defaultJetStreamFetchTimeout,
		stallTimeout: DefaultJetStreamStallTimeout, connectWait: DefaultJetStreamConnectWait,
		unreadyAfter: DefaultJetStreamUnreadyAfter,
	}
	ctx := o.Context
	if v, ok := ctx.Value(jetStreamMaxAgeKey{}).(time.Duration); ok && v > 0 {
		l.maxAge = v
	}
	if v, ok := ctx.Value(jetStreamMaxBytesKey{}).(int64); ok && v > 0 {
		l.maxBytes = v
	}
	if v, ok := ctx.Value(jetStreamMaxMsgsPerSubjKey{}).(int64); ok && v > 0 {
		l.maxMsgsPerSubject = v
	}
	if v, ok := ctx.Value(jetStreamPublishTimeoutKey{}).(time.Duration); ok && v > 0 {
		l.publishTimeout = v
	}
	if v, ok := ctx.Value(jetStreamFetchTimeoutKey{}).(time.Duration); ok && v > 0 {
		l.fetchTimeout = v
	}
	if v, ok := ctx.Value(jetStreamStallTimeoutKey{}).(time.Duration); ok && v > 0 {
		l.stallTimeout = v
	}
	if v, ok := ctx.Value(jetStreamConnectWaitKey{}).(time.Duration); ok {
		l.connectWait = max(v, 0)
	}
	if v, ok := ctx.Value(jetStreamUnreadyAfterKey{}).(time.Duration); ok && v > 0 {
		l.unreadyAfter = v
	}
	if v, ok := ctx.Value(jetStreamReplicasKey{}).(int); ok && v > 0 {
		l.replicas = v
	}
	if v, ok := ctx.Value(jetStreamConfigKey{}).(jetstream.StreamConfig); ok {
		l.config = &v
	}
	return l
}
