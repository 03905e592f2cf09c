package server

import (
	"testing"
	"unsafe"
)

// TestStreamLayout: a stream holds the write path's state first (whose
// hot fields lie in its first 64 bytes: the write path's own
// TestStreamLayout), and a stream's size is a multiple of 64, so the
// allocator aligns it to 64 (its size class holds objects of exactly that
// size): one cache line per stream and event.
func TestStreamLayout(t *testing.T) {
	var s stream
	if size := unsafe.Sizeof(s); size%64 != 0 {
		t.Errorf("stream is %d bytes, not a multiple of 64: adjust its padding", size)
	}
	if off := unsafe.Offsetof(s.Stream); off != 0 {
		t.Errorf("the write path's state is at byte %d of a stream, not first", off)
	}
}
