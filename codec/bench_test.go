package codec

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// benchEvents are the shapes compared in examples/bench too: one line of
// 100 B, 20 lines of 50 B, and 64 KiB of 64 lines of 1 KiB.
func benchEvents() []struct {
	name string
	ev   *Event
} {
	line50 := strings.Repeat("x", 49) + "\n"
	line1k := strings.Repeat("y", 1023) + "\n"
	return []struct {
		name string
		ev   *Event
	}{
		{"1x100B", &Event{ID: "123456", Event: "update", Data: bytes.Repeat([]byte("a"), 100)}},
		{"20x50B", &Event{ID: "123456", Event: "update", Data: []byte(strings.Repeat(line50, 20))}},
		{"64KiB", &Event{ID: "123456", Event: "update", Data: []byte(strings.Repeat(line1k, 64))}},
	}
}

func BenchmarkAppendTo(b *testing.B) {
	for _, c := range benchEvents() {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 128<<10)
			b.SetBytes(int64(len(c.ev.Data)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = c.ev.AppendTo(buf[:0])
			}
		})
	}
}

func BenchmarkEncoder(b *testing.B) {
	for _, c := range benchEvents() {
		b.Run(c.name, func(b *testing.B) {
			enc := NewEncoder(io.Discard)
			b.SetBytes(int64(len(c.ev.Data)))
			b.ReportAllocs()
			for b.Loop() {
				_ = enc.Encode(c.ev)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range benchEvents() {
		b.Run(c.name, func(b *testing.B) {
			frame, err := c.ev.AppendTo(nil)
			if err != nil {
				b.Fatal(err)
			}
			d := NewDecoder(&repeatReader{s: string(frame)})
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Decode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
