package main

import (
	"bytes"
	"syscall"
	"testing"
	"unsafe"
)

// ranged returns the bytes of the iovecs of the log's range [from, to).
func ranged(t *testing.T, l *byteLog, from, to uint64) ([]byte, int, bool) {
	t.Helper()
	v, ok := l.appendRange(nil, from, to, maxIov)
	var out []byte
	for _, e := range v {
		out = append(out, unsafe.Slice(e.Base, e.Len)...)
	}
	return out, len(v), ok
}

// TestLogRanges: the frames lie one after the other across blocks, a range
// takes one iovec per block it touches, and the oldest block is taken back
// once logBlocks are held.
func TestLogRanges(t *testing.T) {
	l := &byteLog{}
	var want []byte
	frame := bytes.Repeat([]byte("0123456789"), 10_000) // 100 KB: frames straddle blocks
	for i := range 6 {
		frame[0] = byte('a' + i)
		l.append([]byte("data: "), frame, []byte("\n\n"))
		want = append(append(append(want, "data: "...), frame...), "\n\n"...)
	}
	h := l.head.Load()
	if h != uint64(len(want)) {
		t.Fatalf("head %d, want %d", h, len(want))
	}
	got, n, ok := ranged(t, l, 0, h)
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("whole log: ok %v, %d bytes equal %v", ok, len(got), bytes.Equal(got, want))
	}
	if blocks := int((h + blockSize - 1) / blockSize); n != blocks {
		t.Fatalf("%d iovecs for %d blocks", n, blocks)
	}
	if got, n, _ := ranged(t, l, 10, 20); n != 1 || !bytes.Equal(got, want[10:20]) {
		t.Fatalf("range in one block: %d iovecs, %q", n, got)
	}
	if v, _ := l.appendRange(nil, 0, h, 1); len(v) != 1 {
		t.Fatalf("max 1: %d iovecs", len(v))
	}

	for l.head.Load() < logBlocks*blockSize+1 { // one byte into block logBlocks
		l.append(frame)
	}
	if _, _, ok := ranged(t, l, 0, 10); ok {
		t.Fatal("block 0 still held after logBlocks more")
	}
	if _, _, ok := ranged(t, l, blockSize, blockSize+10); !ok {
		t.Fatal("block 1 no longer held")
	}
}

// TestAdvance: a short write leaves the connection at the byte it
// stopped, the pending bytes first, then the log's.
func TestAdvance(t *testing.T) {
	c := &conn{pending: []byte("hh")}
	v := appendIovec(appendIovec(nil, c.pending), []byte("aaaabbbb"))
	if c.advance(v, 1) || string(c.pending) != "h" || c.pos != 0 {
		t.Fatalf("1 byte: pending %q pos %d", c.pending, c.pos)
	}
	c.pending = []byte("hh")
	if c.advance(v, 2+5) || c.pending != nil || c.pos != 5 {
		t.Fatalf("7 bytes: pending %q pos %d", c.pending, c.pos)
	}
	c2 := &conn{pos: 3}
	if !c2.advance([]syscall.Iovec{v[1]}, 8) || c2.pos != 11 {
		t.Fatalf("all: pos %d", c2.pos)
	}
}
