package writepath

import (
	"testing"
	"unsafe"
)

// TestStreamLayout: the fields of a Stream that a shared writer and the
// hub's wake-up touch on every event lie in its first 64 bytes (the
// endpoint's stream holds it first, TestStreamLayout of the server).
func TestStreamLayout(t *testing.T) {
	var s Stream
	hot := map[string]uintptr{
		"Sub": unsafe.Offsetof(s.Sub) + unsafe.Sizeof(s.Sub), "w": unsafe.Offsetof(s.w) + unsafe.Sizeof(s.w),
		"Conn.fd+state": unsafe.Offsetof(s.Conn) + 8, "lastWrite": unsafe.Offsetof(s.lastWrite) + unsafe.Sizeof(s.lastWrite),
		"endErr": unsafe.Offsetof(s.endErr) + unsafe.Sizeof(s.endErr), "midChunk": unsafe.Offsetof(s.midChunk) + 1,
	}
	for name, end := range hot {
		if end > 64 {
			t.Errorf("Stream.%s ends at byte %d, past the first cache line", name, end)
		}
	}
}
