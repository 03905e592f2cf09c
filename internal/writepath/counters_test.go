package writepath

import (
	"slices"
	"testing"
	"time"
)

// TestLatencyHistogramBuckets: a latency lands in the first bucket whose
// bound it does not exceed, past the last bound in the overflow bucket;
// the counters of several writers add up, bytes included.
func TestLatencyHistogramBuckets(t *testing.T) {
	// Two writers' counters, summed as the endpoint's Stats sums them.
	var h, g Counters
	for i, d := range []time.Duration{time.Microsecond, 100 * time.Microsecond, 101 * time.Microsecond, 3 * time.Second, time.Minute} {
		if i%2 == 0 {
			h.observe(d)
			h.Wrote(10)
		} else {
			g.observe(d)
			g.Wrote(1)
		}
	}
	var written, count uint64
	var sum time.Duration
	counts := make([]uint64, len(LatencyBounds)+1)
	h.AddTo(&written, counts, &count, &sum)
	g.AddTo(&written, counts, &count, &sum)
	want := make([]uint64, len(LatencyBounds)+1)
	want[0] = 2  // 1µs, 100µs
	want[1] = 1  // 101µs
	want[14] = 1 // 3s: (2.5s, 5s]
	want[16] = 1 // 1m: above 10s
	if !slices.Equal(counts, want) {
		t.Fatalf("counts = %v, want %v", counts, want)
	}
	if count != 5 || sum != time.Microsecond+100*time.Microsecond+101*time.Microsecond+3*time.Second+time.Minute {
		t.Fatalf("count %d sum %v", count, sum)
	}
	if written != 32 {
		t.Fatalf("written %d, want 32", written)
	}
	if !slices.IsSorted(LatencyBounds[:]) {
		t.Fatalf("LatencyBounds %v not in increasing order", LatencyBounds)
	}
}
