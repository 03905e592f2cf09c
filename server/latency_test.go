package server

import (
	"slices"
	"testing"
	"time"
)

// TestLatencyHistogramBuckets: a latency lands in the first bucket whose
// bound it does not exceed, past the last bound in the overflow bucket;
// the histograms of several writers add up.
func TestLatencyHistogramBuckets(t *testing.T) {
	// Two histograms (two writers), summed as Stats sums them.
	var h, g latencyHistogram
	for i, d := range []time.Duration{time.Microsecond, 100 * time.Microsecond, 101 * time.Microsecond, 3 * time.Second, time.Minute} {
		if i%2 == 0 {
			h.observe(d)
		} else {
			g.observe(d)
		}
	}
	var st LatencyStats
	h.addTo(&st)
	g.addTo(&st)
	want := make([]uint64, len(latencyBounds)+1)
	want[0] = 2  // 1µs, 100µs
	want[1] = 1  // 101µs
	want[14] = 1 // 3s: (2.5s, 5s]
	want[16] = 1 // 1m: above 10s
	if !slices.Equal(st.Counts, want) {
		t.Fatalf("Counts = %v, want %v", st.Counts, want)
	}
	if st.Count != 5 || st.Sum != time.Microsecond+100*time.Microsecond+101*time.Microsecond+3*time.Second+time.Minute {
		t.Fatalf("Count %d Sum %v", st.Count, st.Sum)
	}
	if len(st.Bounds) != len(latencyBounds) || !slices.IsSorted(st.Bounds) {
		t.Fatalf("Bounds %v", st.Bounds)
	}
}
