package server

import "time"

// LatencyStats is a histogram of the publish-to-write latency, sampled
// once per write of live events to a client: the time from the publish of
// the newest event of the write to the end of the write (an event
// published through JetStream counts from its JetStream timestamp). Events
// replayed to a resuming client (published before its stream opened) are
// history, not late: a write of them alone is not sampled.
type LatencyStats struct {
	// Bounds are the upper bounds of the buckets, in increasing order.
	Bounds []time.Duration
	// Counts has one more element than Bounds: Counts[i] counts the writes
	// whose latency was at most Bounds[i] (and above Bounds[i-1]), the
	// last one those above every bound.
	Counts []uint64
	// Count is the sum of Counts.
	Count uint64
	// Sum is the sum of the latencies.
	Sum time.Duration
}
