package broker

import (
	"sync/atomic"
	"time"
)

// Stats counts what a broker did since NewBroker. Read it with the Stats
// method of the broker NewBroker returns:
//
//	b.(interface{ Stats() ssebroker.Stats }).Stats()
type Stats struct {
	// Published counts messages Publish accepted.
	Published uint64
	// Delivered counts handler calls of in-process subscriptions.
	Delivered uint64
	// Dropped counts messages not handed to an in-process subscription (or
	// queue group) because its queue was full, and messages still queued
	// when their subscription ended.
	Dropped uint64
	// HandlerErrors counts handler calls that returned an error.
	HandlerErrors uint64
	// BinarySkipped counts messages published with a body that is not
	// UTF-8 while neither the server (Base64Data) nor the message
	// (Sse-Encoding: base64) asked for base64: browsers did not get them,
	// in-process subscriptions did. Each is logged with its topic.
	BinarySkipped uint64
	// Subscriptions is the number of in-process subscriptions now.
	Subscriptions int
	// JetStream is true with the JetStream option once connected: the
	// JetStream figures below are this node's.
	JetStream bool
	// JetStreamFed is, with the JetStream option, the last stream
	// sequence this node consumed (fed to its hub).
	JetStreamFed uint64
	// JetStreamNotEvents counts stored messages consumed that are no event
	// of a topic: a subject outside the topic rule, or headers that would
	// inject a field. They are skipped (and logged).
	JetStreamNotEvents uint64
	// JetStreamLag is how many stream sequences this node has yet to feed:
	// the stream's last sequence, as last seen, minus JetStreamFed.
	JetStreamLag uint64
	// JetStreamRestarts counts the times the node dropped its consumer
	// and consumed again (a consumer error, the server's shutdown notice,
	// lost heartbeats, no progress for JetStreamStallTimeout).
	JetStreamRestarts uint64
	// JetStreamSinceFed is the time since the node last fed a sequence to
	// its hub (or started consuming); it grows while nothing is published.
	JetStreamSinceFed time.Duration
	// JetStreamBehindFor is how long the node has been behind the stream
	// without feeding anything (the stream's last sequence above the last
	// one fed), or away from NATS; 0 while it keeps up. Past
	// JetStreamUnreadyAfter the node is not ready (see Ready).
	JetStreamBehindFor time.Duration
}

// counters are the live counters behind Stats.
type counters struct {
	published, delivered, dropped, handlerErrors atomic.Uint64
}
