package hub

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// memAfterGC returns the memory statistics after full collections (this
// package's tests do not import ssetest, which loads go-micro and its
// goroutines).
func memAfterGC() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// TestMemoryFlat publishes 1,000,000 events (200,000 with -short) to one
// topic with the default bounds and a subscriber that
// keeps up, and checks that the heap stops growing once history is full:
// every later checkpoint stays within a fixed margin of the first.
func TestMemoryFlat(t *testing.T) {
	total := 1_000_000
	if testing.Short() {
		total = 200_000
	}
	const checkpoints = 5
	h := New()
	defer h.Close()
	s, err := h.Subscribe([]string{"flat"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ev := &codec.Event{Event: "tick", Data: make([]byte, 100)}
	for i := range ev.Data {
		ev.Data[i] = 'a' + byte(i%26)
	}
	var buf []byte
	var first uint64
	step := total / checkpoints
	for i := 1; i <= total; i++ {
		if _, err := h.Publish("flat", ev); err != nil {
			t.Fatal(err)
		}
		if i%256 == 0 {
			if buf, err = s.Drain(buf[:0]); err != nil {
				t.Fatal(err)
			}
		}
		if i%step == 0 {
			inuse := memAfterGC().HeapInuse
			st := h.Stats()
			t.Logf("after %7d events: heap in use %6d KiB, history %d events %d KiB",
				i, inuse>>10, st.HistoryEvents, st.HistoryBytes>>10)
			if st.HistoryEvents != DefaultHistoryEvents {
				t.Fatalf("history holds %d events, want the bound %d", st.HistoryEvents, DefaultHistoryEvents)
			}
			if first == 0 {
				first = inuse
				continue
			}
			// A bound, not a trend: 10,000 more events would be ~1.5 MiB.
			if limit := first + first/4 + 1<<20; inuse > limit {
				t.Fatalf("heap grew to %d KiB after %d events (first checkpoint %d KiB): %s",
					inuse>>10, i, first>>10, fmt.Sprint(st))
			}
		}
	}
}
