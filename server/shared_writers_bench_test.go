package server

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
)

// BenchmarkPublishStreams publishes 64-byte events as fast as it can to 1,
// 1,000 and 9,000 taken-over streams over loopback (9,000: two descriptors
// a connection in one process, under the 20,000 this machine allows) and
// waits until every stream has read them all: ns/publish is the
// publisher's own time per event, ns/delivered and cpu-ns/delivered the
// wall and process CPU (publisher, writers and the reading clients alike)
// per event per stream; allocs/op is per publish, the whole process
// included, and does not grow with the streams (writev of the shared
// frames: nothing copied per stream).
func BenchmarkPublishStreams(b *testing.B) {
	for _, n := range []int{1, 1_000, 9_000} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			f := newFixture(b, Heartbeat(time.Hour), OwnHub(ssebroker.MaxHistoryEvents(1<<20), ssebroker.MaxHistoryBytes(1<<30), ssebroker.HistoryBudget(1<<30)))
			var done sync.WaitGroup
			for range n {
				c := dialEvents(b, f.srv.Listener.Addr().String(), "stream=bench")
				defer c.Close()
				done.Add(1)
				go countingReader(c, smallReadBuf, b.N, &done, nil) // thousands of them run at once
			}
			for f.e.Stats().Shared != n {
				time.Sleep(time.Millisecond)
			}
			ev := &codec.Event{Data: []byte(strings.Repeat("x", 64))}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			start := time.Now()
			for range b.N {
				if _, err := f.hub.Publish("bench", ev); err != nil {
					b.Fatal(err)
				}
			}
			pub := time.Since(start)
			done.Wait()
			b.StopTimer()
			b.ReportMetric(float64(pub.Nanoseconds())/float64(b.N), "ns/publish")
			report(b, cpu0, b.N*n)
			if st := f.e.Stats(); st.CutOffSlow != 0 || st.WriteFailed != 0 {
				b.Fatalf("streams ended during the benchmark: %+v", st)
			}
		})
	}
}
