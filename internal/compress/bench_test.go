package compress

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// benchSizes are the event sizes the benchmarks compare.
var benchSizes = []int{200, 1024, 4096}

// jsonFrames returns n SSE frames of about size bytes each whose JSON
// fields repeat from event to event and whose values vary, as a feed's do.
func jsonFrames(n, size int) [][]byte {
	r := rand.New(rand.NewPCG(7, uint64(size)))
	users := []string{"ada", "grace", "linus", "ken", "barbara", "edsger"}
	actions := []string{"created", "updated", "deleted", "viewed"}
	frames := make([][]byte, n)
	for i := range frames {
		b := fmt.Appendf(nil, "id: k3j9q0ab-%s\nevent: order\ndata: {\"seq\":%d,\"user\":%q,\"action\":%q,\"price\":%d.%02d,\"ts\":\"2026-12-07T02:%02d:%02d.%03dZ\",\"items\":[",
			strconv.FormatInt(int64(1000+i), 36), 1000+i, users[r.IntN(len(users))], actions[r.IntN(len(actions))],
			r.IntN(1000), r.IntN(100), r.IntN(60), r.IntN(60), r.IntN(1000))
		for j := 0; len(b) < size-40; j++ {
			if j > 0 {
				b = append(b, ',')
			}
			b = fmt.Appendf(b, "{\"sku\":\"SKU-%05d\",\"qty\":%d,\"warehouse\":%q}", r.IntN(100000), 1+r.IntN(9), users[r.IntN(len(users))])
		}
		frames[i] = append(b, "]}\n\n"...)
	}
	return frames
}

func totalLen(frames [][]byte) (n int) {
	for _, f := range frames {
		n += len(f)
	}
	return n
}

// BenchmarkCompressFrame measures compressing one frame once (shared by
// every reader): ns/op is the CPU per published event, ratio the bytes on
// the wire over the plain bytes.
func BenchmarkCompressFrame(b *testing.B) {
	for _, size := range benchSizes {
		frames := jsonFrames(1000, size)
		plain := totalLen(frames)
		b.Run(fmt.Sprintf("deflate/%dB", size), func(b *testing.B) {
			wire := 0
			for i := range b.N {
				_, d := DeflateFrame(nil, frames[i%len(frames)])
				wire += len(d.Blocks)
			}
			b.ReportMetric(float64(wire)/float64(b.N)/float64(plain/len(frames)), "ratio")
		})
		b.Run(fmt.Sprintf("zstd/%dB", size), func(b *testing.B) {
			wire := 0
			for i := range b.N {
				wire += len(ZstdFrame(nil, frames[i%len(frames)]))
			}
			b.ReportMetric(float64(wire)/float64(b.N)/float64(plain/len(frames)), "ratio")
		})
	}
}

// BenchmarkDeliverShared measures what a connection adds per delivered
// frame it writes from shared compressed bytes: the checksum combination
// (gzip, zlib); zstd adds nothing.
func BenchmarkDeliverShared(b *testing.B) {
	frames := jsonFrames(64, 1024)
	deflated := make([]Deflated, len(frames))
	for i, f := range frames {
		_, deflated[i] = DeflateFrame(nil, f)
	}
	for _, enc := range []Encoding{Gzip, Deflate} {
		b.Run(enc.String(), func(b *testing.B) {
			s := NewStream(enc)
			for i := range b.N {
				s.Add(&deflated[i%len(deflated)])
			}
			if s.Trailer(nil) == nil {
				b.Fatal("no trailer")
			}
		})
	}
}

// BenchmarkStreamingGzip is the comparison: a gzip writer per connection
// (what other servers do), flushed after each event. ns/op is the CPU per
// delivered event, ratio the bytes on the wire over the plain bytes,
// B/conn the memory a connection holds once it has written.
func BenchmarkStreamingGzip(b *testing.B) {
	for _, size := range benchSizes {
		frames := jsonFrames(1000, size)
		plain := totalLen(frames)
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			var cw countWriter
			w, _ := kgzip.NewWriterLevel(&cw, DeflateLevel)
			for i := range b.N {
				_, _ = w.Write(frames[i%len(frames)])
				_ = w.Flush()
			}
			b.ReportMetric(float64(cw.n)/float64(b.N)/float64(plain/len(frames)), "ratio")
			b.ReportMetric(float64(streamingWriterMemory(frames[:4])), "B/conn")
		})
	}
}

// streamingWriterMemory returns the heap a streaming gzip writer holds per
// connection after it wrote frames, over 32 writers.
func streamingWriterMemory(frames [][]byte) uint64 {
	const conns = 32
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	writers := make([]*kgzip.Writer, conns)
	for i := range writers {
		writers[i], _ = kgzip.NewWriterLevel(io.Discard, DeflateLevel)
		for _, f := range frames {
			_, _ = writers[i].Write(f)
			_ = writers[i].Flush()
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(writers)
	return (after.HeapAlloc - before.HeapAlloc) / conns
}

// countWriter counts what is written to it.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}
