package hub

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// heapAlloc returns the bytes of live heap objects after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkPublish publishes one 64-byte event per op to a topic with 1,
// 1,000 or 10,000 subscribers (Notify, as the server uses them) and reports
// ns/delivery; allocs/op is per publish. The subscribers are drained every
// 64 publishes with the timer stopped.
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{1, 1_000, 10_000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			h := New()
			defer h.Close()
			subs := make([]*Subscriber, n)
			for i := range subs {
				s, err := h.Subscribe([]string{"bench"}, "", Notify(func() {}))
				if err != nil {
					b.Fatal(err)
				}
				subs[i] = s
			}
			ev := &codec.Event{Event: "tick", Data: []byte(strings.Repeat("x", 64))}
			var buf []byte
			drain := func() {
				for _, s := range subs {
					buf, _ = s.Drain(buf[:0])
				}
			}
			// Warm up: queues reach their steady capacity.
			for i := 0; i < 128; i++ {
				h.Publish("bench", ev)
				if i%64 == 63 {
					drain()
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := h.Publish("bench", ev); err != nil {
					b.Fatal(err)
				}
				if i%64 == 63 {
					b.StopTimer()
					drain()
					b.StartTimer()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
			if st := h.Stats(); st.CutOffSlow != 0 {
				b.Fatalf("cut off during benchmark: %+v", st)
			}
			for _, s := range subs {
				s.Close()
			}
		})
	}
}

// BenchmarkIdleSubscriber reports the heap held per idle subscriber (one
// topic, Ready channel) of 10,000; ns/op is one Subscribe plus Close.
func BenchmarkIdleSubscriber(b *testing.B) {
	const n = 10_000
	h := New()
	defer h.Close()
	// Keep the topic alive so that it is not counted per subscriber.
	keep, _ := h.Subscribe([]string{"idle"}, "")
	defer keep.Close()
	subs := make([]*Subscriber, n)
	before := heapAlloc()
	for i := range subs {
		s, err := h.Subscribe([]string{"idle"}, "")
		if err != nil {
			b.Fatal(err)
		}
		subs[i] = s
	}
	after := heapAlloc()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := h.Subscribe([]string{"idle"}, "")
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(after-before)/n, "bytes/subscriber")
	for _, s := range subs {
		s.Close()
	}
}

// BenchmarkHistory reports the heap held per event by a history of
// 100,000 events with 100-byte data (bytes/event, all included) next to
// the encoded frame size (frame-bytes/event); ns/op is one publish into
// the full history (evicting the oldest).
func BenchmarkHistory(b *testing.B) {
	const n = 100_000
	h := New(MaxHistoryEvents(n), MaxHistoryBytes(1<<30))
	defer h.Close()
	ev := &codec.Event{Data: []byte(strings.Repeat("y", 100))}
	before := heapAlloc()
	for i := 0; i < n; i++ {
		if _, err := h.Publish("hist", ev); err != nil {
			b.Fatal(err)
		}
	}
	after := heapAlloc()
	st := h.Stats()
	if st.HistoryEvents != n {
		b.Fatalf("history holds %d", st.HistoryEvents)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := h.Publish("hist", ev); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(after-before)/n, "bytes/event")
	b.ReportMetric(float64(st.HistoryBytes)/n, "frame-bytes/event")
}
