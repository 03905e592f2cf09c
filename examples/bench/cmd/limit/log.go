package main

import (
	"sync"
	"sync/atomic"
)

// Bounds of the log: a connection that falls further behind is dropped.
const (
	logFrames = 1 << 14  // frames held (a power of two)
	logBytes  = 64 << 20 // bytes of frames held
)

// frame is one encoded event, shared by every connection that writes it;
// it never changes once in the log.
type frame struct {
	seq uint64
	b   []byte
}

// frameLog is the last frames published, by sequence number: the
// publisher appends, the writers read what lies after their connections'
// positions. A slot is taken back (the oldest first) when the log holds
// logFrames frames or logBytes bytes.
type frameLog struct {
	slots [logFrames]atomic.Pointer[frame]
	head  atomic.Uint64 // the sequence of the next frame

	mu    sync.Mutex // appends
	tail  uint64     // the oldest sequence held
	bytes int        // bytes of the frames held
}

// append adds b as the next frame and returns the new head.
func (l *frameLog) append(b []byte) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.head.Load()
	for l.tail < h && (h-l.tail >= logFrames || l.bytes+len(b) > logBytes) {
		slot := &l.slots[l.tail%logFrames]
		l.bytes -= len(slot.Load().b)
		slot.Store(nil)
		l.tail++
	}
	l.slots[h%logFrames].Store(&frame{seq: h, b: b})
	l.bytes += len(b)
	l.head.Store(h + 1)
	return h + 1
}

// at returns the frame of sequence seq (below head), or nil when the log
// no longer holds it.
func (l *frameLog) at(seq uint64) *frame {
	f := l.slots[seq%logFrames].Load()
	if f == nil || f.seq != seq {
		return nil
	}
	return f
}
