package server

import (
	"sync/atomic"
	"time"
)

// latencyBounds are the upper bounds of the buckets of the publish-to-write
// latency histogram.
var latencyBounds = [...]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

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

// latencyHistogram is LatencyStats as atomics: observe is a few compares
// and two atomic adds, from any goroutine.
type latencyHistogram struct {
	counts [len(latencyBounds) + 1]atomic.Uint64
	sum    atomic.Int64
}

// observe counts one write of latency d.
func (h *latencyHistogram) observe(d time.Duration) {
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// addTo adds the histogram so far to st (its buckets read one by one:
// Count and Sum may be off by the writes observed meanwhile).
func (h *latencyHistogram) addTo(st *LatencyStats) {
	if st.Counts == nil {
		st.Bounds, st.Counts = latencyBounds[:], make([]uint64, len(h.counts))
	}
	for i := range h.counts {
		n := h.counts[i].Load()
		st.Counts[i] += n
		st.Count += n
	}
	st.Sum += time.Duration(h.sum.Load())
}
