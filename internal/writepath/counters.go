package writepath

import (
	"sync/atomic"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// LatencyBounds are the upper bounds of the buckets of the
// publish-to-write latency histogram, in increasing order.
var LatencyBounds = [...]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// Counters are the bytes written and the publish-to-write latency
// histogram of one set of writes. Each shared writer keeps its own, and
// the streams with their own goroutine one together, so that writers on
// their own cores do not share the cache lines of counters they add to on
// every write; the endpoint sums them. Each method is a few atomic adds,
// safe from any goroutine.
type Counters struct {
	written atomic.Uint64
	counts  [len(LatencyBounds) + 1]atomic.Uint64
	sum     atomic.Int64
}

// Wrote counts n bytes written.
func (c *Counters) Wrote(n int) { c.written.Add(uint64(n)) }

// ObserveWrite samples the latency of a write of sub's events, once the
// write is done: from the publish of its newest event to now (nothing
// when the write held no live event). Call it from the stream's owner
// after each write of a batch it read.
func (c *Counters) ObserveWrite(sub *hub.Subscriber) {
	if d := sub.TakeReadAge(); d > 0 {
		c.observe(d)
	}
}

// observe counts one write of latency d.
func (c *Counters) observe(d time.Duration) {
	i := 0
	for i < len(LatencyBounds) && d > LatencyBounds[i] {
		i++
	}
	c.counts[i].Add(1)
	c.sum.Add(int64(d))
}

// AddTo adds the counts so far to written, the histogram's counts (one
// more than LatencyBounds), their total and the sum of the latencies
// (read one by one: the total and the sum may be off by the writes
// observed meanwhile).
func (c *Counters) AddTo(written *uint64, counts []uint64, total *uint64, sum *time.Duration) {
	*written += c.written.Load()
	for i := range c.counts {
		n := c.counts[i].Load()
		counts[i] += n
		*total += n
	}
	*sum += time.Duration(c.sum.Load())
}
