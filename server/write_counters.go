package server

import "sync/atomic"

// writeCounters are the bytes written and the publish-to-write latency
// histogram of one set of writes. The endpoint keeps one for the streams
// with their own goroutine and each shared writer its own, so that the
// writers, on their own cores, do not share the cache lines of counters
// they add to on every write; Stats sums them.
type writeCounters struct {
	written atomic.Uint64
	latency latencyHistogram
}

// observeWrite samples the latency of a write of s's events, once the
// write is done: from the publish of its newest event to now. Call it from
// the stream's owner after each write of a batch it read.
func (c *writeCounters) observeWrite(s *stream) {
	if d := s.sub.TakeReadAge(); d > 0 {
		c.latency.observe(d)
	}
}

// addTo adds the counts to st.
func (c *writeCounters) addTo(st *EndpointStats) {
	st.BytesWritten += c.written.Load()
	c.latency.addTo(&st.Latency)
}
