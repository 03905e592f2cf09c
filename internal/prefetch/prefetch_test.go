package prefetch

import (
	"testing"
	"unsafe"
)

// TestLinesDoNotFault: prefetching memory that is not mapped (nil), or past
// the end of an object changes nothing and does not fault; the object's
// bytes are as they were.
func TestLinesDoNotFault(t *testing.T) {
	b := make([]byte, 200)
	for i := range b {
		b[i] = byte(i)
	}
	Range(unsafe.Pointer(&b[0]), 200)
	Range(unsafe.Pointer(&b[3]), 1)
	Range(unsafe.Pointer(&b[0]), 0)
	Range(nil, 128)
	for i := range b {
		if b[i] != byte(i) {
			t.Fatalf("byte %d changed", i)
		}
	}
}

func BenchmarkLines(b *testing.B) {
	buf := make([]byte, 1<<20)
	for i := 0; b.Loop(); i++ {
		Range(unsafe.Pointer(&buf[(i*192)%(len(buf)-192)]), 192)
	}
}
