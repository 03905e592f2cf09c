package writepath

import (
	"sync"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// The copy buffers of the write mode that keeps a goroutine per stream
// (HTTP/2, TLS, a ResponseWriter that cannot be taken over): it cannot
// write the frames in place, so it copies each batch into a pooled buffer
// for one write and one flush. A stream holds one only while it writes.

// bufPool holds the copy buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuf is the largest buffer returned to the pool; a bigger one (a
// frame larger than a batch) is left to the garbage collector.
const maxPooledBuf = 2 * hub.BatchBytes

// GetBuf returns a copy buffer; give it back with PutBuf.
func GetBuf() *[]byte { return bufPool.Get().(*[]byte) }

// PutBuf returns the buffer b grew from *bp to the pool.
func PutBuf(bp *[]byte, b []byte) {
	if cap(b) > maxPooledBuf {
		return
	}
	*bp = b[:0]
	bufPool.Put(bp)
}

// framesPool holds the slices a batch's frame references are read into.
var framesPool = sync.Pool{New: func() any { f := make([][]byte, 0, 64); return &f }}

// ReadCopy appends a copy of sub's next batch to b, and reports whether
// more is due and the subscriber's end (as hub.Subscriber.Read does).
func ReadCopy(sub *hub.Subscriber, b []byte) ([]byte, bool, error) {
	fp := framesPool.Get().(*[][]byte)
	frames, more, err := sub.Read((*fp)[:0])
	for _, f := range frames {
		b = append(b, f...)
	}
	clear(frames) // let eviction free them
	*fp = frames[:0]
	framesPool.Put(fp)
	return b, more, err
}
