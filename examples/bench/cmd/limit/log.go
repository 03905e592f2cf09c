package main

import (
	"sync"
	"sync/atomic"
	"syscall"
)

// Bounds of the log: a connection that falls further behind is dropped.
const (
	blockSize = 256 << 10 // bytes of one block of the log
	logBlocks = 256       // blocks held: 64 MiB
)

// block is one piece of the log: the bytes from number×blockSize on. The
// publisher only appends to it; the bytes below the log's head never change.
type block struct {
	number uint64
	b      [blockSize]byte
}

// byteLog is the stream every connection is written from: the frames
// published, one after the other, in blocks. A connection's position is a
// byte offset in it, so all it lacks lies in one range, written with one
// iovec per block it touches (one, mostly): no frame is copied per
// connection. The oldest block is taken back when logBlocks are held.
type byteLog struct {
	slots [logBlocks]atomic.Pointer[block]
	head  atomic.Uint64 // bytes published so far

	mu sync.Mutex // appends
}

// append adds the frame made of parts to the log, then makes it visible:
// a writer never sees part of a frame.
func (l *byteLog) append(parts ...[]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.head.Load()
	for _, p := range parts {
		for len(p) > 0 {
			k, off := h/blockSize, h%blockSize
			slot := &l.slots[k%logBlocks]
			blk := slot.Load()
			if blk == nil || blk.number != k {
				blk = &block{number: k}
				slot.Store(blk)
			}
			n := copy(blk.b[off:], p)
			p = p[n:]
			h += uint64(n)
		}
	}
	l.head.Store(h)
}

// appendRange appends to v the iovecs of the log's bytes [from, to) (to at
// most the head), at most max of them; ok is false when the log no longer
// holds the block of from (or of a later byte of the range).
func (l *byteLog) appendRange(v []syscall.Iovec, from, to uint64, max int) (_ []syscall.Iovec, ok bool) {
	for from < to && len(v) < max {
		k, off := from/blockSize, from%blockSize
		blk := l.slots[k%logBlocks].Load()
		if blk == nil || blk.number != k {
			return v, false
		}
		end := min(to-k*blockSize, blockSize)
		v = appendIovec(v, blk.b[off:end])
		from = k*blockSize + end
	}
	return v, true
}
