package hub

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// readAll reads everything due to s, keeping nothing (the frames are
// referenced, as a writer would write them).
func readAll(b *testing.B, s *Subscriber, frames [][]byte) ([][]byte, int) {
	n := 0
	for {
		var more bool
		var err error
		frames, more, err = s.Read(frames[:0])
		if err != nil {
			b.Fatal(err)
		}
		n += len(frames)
		if !more {
			return frames, n
		}
	}
}

// BenchmarkPublish publishes one 64-byte event per op to a topic with 1,
// 1,000 or 10,000 subscribers (benchCases: Notify, or one Waker): the cost
// of one append and of waking the subscribers that had read everything;
// ns/delivery is ns/op over the subscribers, allocs/op is per publish
// (independent of the subscriber count: nothing is copied per
// subscriber). The subscribers read every 64 publishes with the timer
// stopped; BenchmarkDeliver counts the reads too.
func BenchmarkPublish(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			n := c.subs
			h, subs, w := benchSubscribers(b, n, c.waker)
			ev := &codec.Event{Event: "tick", Data: []byte(strings.Repeat("x", 64))}
			var frames [][]byte
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := h.Publish("bench", ev); err != nil {
					b.Fatal(err)
				}
				if i%64 == 63 {
					b.StopTimer()
					w.take()
					for _, s := range subs {
						frames, _ = readAll(b, s, frames)
					}
					b.StartTimer()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
			if st := h.Stats(); st.CutOffSlow != 0 {
				b.Fatalf("cut off during benchmark: %+v", st)
			}
		})
	}
}

// BenchmarkDeliver is BenchmarkPublish with the reads timed: every 64
// publishes each subscriber reads what is due (references to the frames,
// in batches, as the server's writers take them). ns/delivery is the whole
// cost of one event reaching one subscriber, short of the socket.
func BenchmarkDeliver(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			n := c.subs
			h, subs, w := benchSubscribers(b, n, c.waker)
			ev := &codec.Event{Event: "tick", Data: []byte(strings.Repeat("x", 64))}
			var frames [][]byte
			delivered := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := h.Publish("bench", ev); err != nil {
					b.Fatal(err)
				}
				if i%64 == 63 || i == b.N-1 {
					w.take()
					for _, s := range subs {
						var got int
						frames, got = readAll(b, s, frames)
						delivered += got
					}
				}
			}
			b.StopTimer()
			if delivered != b.N*n {
				b.Fatalf("delivered %d, want %d", delivered, b.N*n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(delivered), "ns/delivery")
		})
	}
}

// benchCases are the subscriber counts of BenchmarkPublish and
// BenchmarkDeliver, each with Notify (a function per subscriber, as a
// stream with its own goroutine has) and with one Waker for all (as the
// server's shared writers have).
var benchCases = func() (cs []struct {
	name  string
	subs  int
	waker bool
}) {
	for _, n := range []int{1, 1_000, 10_000} {
		for _, w := range []bool{false, true} {
			name := fmt.Sprintf("subs=%d/wake=notify", n)
			if w {
				name = fmt.Sprintf("subs=%d/wake=waker", n)
			}
			cs = append(cs, struct {
				name  string
				subs  int
				waker bool
			}{name, n, w})
		}
	}
	return cs
}()

// benchWaker is the Waker of benchSubscribers (nil without one); take
// empties it, as a writer does before it reads.
type benchWaker struct {
	w     *Waker
	woken []*Subscriber
}

func (b *benchWaker) take() {
	if b != nil {
		b.woken = b.w.Take(b.woken[:0])
		clear(b.woken)
	}
}

// benchSubscribers returns a hub with n subscribers of topic "bench"
// (Notify, or one Waker), warmed up, closed when the benchmark ends.
func benchSubscribers(b *testing.B, n int, waker bool) (*Hub, []*Subscriber, *benchWaker) {
	h := New()
	b.Cleanup(h.Close)
	var bw *benchWaker
	opt := Notify(func() {})
	if waker {
		bw = &benchWaker{w: NewWaker(func() {})}
		opt = WakeWith(bw.w)
	}
	subs := make([]*Subscriber, n)
	for i := range subs {
		s, err := h.Subscribe([]string{"bench"}, "", opt)
		if err != nil {
			b.Fatal(err)
		}
		subs[i] = s
	}
	ev := &codec.Event{Data: []byte("warm")}
	var frames [][]byte
	for i := 0; i < 128; i++ {
		h.Publish("bench", ev)
	}
	bw.take()
	for _, s := range subs {
		frames, _ = readAll(b, s, frames)
	}
	return h, subs, bw
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
	before := memAfterGC().HeapAlloc
	for i := range subs {
		s, err := h.Subscribe([]string{"idle"}, "")
		if err != nil {
			b.Fatal(err)
		}
		subs[i] = s
	}
	after := memAfterGC().HeapAlloc
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
	before := memAfterGC().HeapAlloc
	for i := 0; i < n; i++ {
		if _, err := h.Publish("hist", ev); err != nil {
			b.Fatal(err)
		}
	}
	after := memAfterGC().HeapAlloc
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
