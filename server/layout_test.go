package server

import (
	"testing"
	"unsafe"
)

// TestStreamLayout: the fields of the write path lie in a stream's first
// 64 bytes, and a stream's size is a multiple of 64, so the allocator
// aligns it to 64 (its size class holds objects of exactly that size):
// one cache line per stream and event.
func TestStreamLayout(t *testing.T) {
	var s stream
	if size := unsafe.Sizeof(s); size%64 != 0 {
		t.Errorf("stream is %d bytes, not a multiple of 64: adjust its padding", size)
	}
	hot := map[string]uintptr{
		"sub": unsafe.Offsetof(s.sub) + unsafe.Sizeof(s.sub), "w": unsafe.Offsetof(s.w) + unsafe.Sizeof(s.w),
		"conn.fd+state": unsafe.Offsetof(s.conn) + 8, "lastWrite": unsafe.Offsetof(s.lastWrite) + unsafe.Sizeof(s.lastWrite),
		"endErr": unsafe.Offsetof(s.endErr) + unsafe.Sizeof(s.endErr), "midChunk": unsafe.Offsetof(s.midChunk) + 1,
	}
	for name, end := range hot {
		if end > 64 {
			t.Errorf("stream.%s ends at byte %d, past the first cache line", name, end)
		}
	}
}
