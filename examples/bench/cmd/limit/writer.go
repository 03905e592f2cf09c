package main

import (
	"sync"
	"syscall"
	"time"
)

// Timing of the writers.
const (
	heartbeatTick = 15 * time.Second // the sweep: closed clients, comments to idle ones
	writeTimeout  = 10 * time.Second // how long a full socket may stay full
)

// heartbeat is the comment frame sent to a connection written nothing
// during a sweep interval (shared, never written to).
var heartbeat = []byte(": heartbeat\n\n")

// writer is one of the goroutines that own the connections.
type writer struct {
	f    *fanout
	wake chan struct{} // cap 1: a frame was published or a connection added

	mu       sync.Mutex
	incoming []*conn // added, not yet taken by run

	conns []*conn         // run only
	iov   []syscall.Iovec // run only
}

func newWriter(f *fanout) *writer {
	return &writer{f: f, wake: make(chan struct{}, 1), iov: make([]syscall.Iovec, 0, maxIov)}
}

// signal wakes the writer; it never blocks.
func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// add positions c at the log's head and hands it to the writer.
func (w *writer) add(c *conn) {
	w.mu.Lock()
	c.pos = w.f.log.head.Load()
	w.incoming = append(w.incoming, c)
	w.mu.Unlock()
	w.signal()
}

// run is the writer's goroutine: it writes on every wake-up, sweeps on
// every tick and closes its connections at the end.
func (w *writer) run() {
	tick := time.NewTicker(heartbeatTick)
	defer tick.Stop()
	for {
		select {
		case <-w.f.done:
			w.closeAll()
			return
		case <-w.wake:
			w.takeIncoming()
			w.writeAll()
		case <-tick.C:
			w.sweep()
		}
	}
}

// takeIncoming moves the added connections into w.conns.
func (w *writer) takeIncoming() {
	w.mu.Lock()
	w.conns = append(w.conns, w.incoming...)
	clear(w.incoming)
	w.incoming = w.incoming[:0]
	w.mu.Unlock()
}

// writeAll writes to every connection it owns what it lacks up to the
// log's head, and drops the ones that failed.
func (w *writer) writeAll() {
	head := w.f.log.head.Load()
	w.each(func(c *conn) bool {
		if c.pos == head && len(c.pending) == 0 {
			return true
		}
		return w.write(c, head)
	})
}

// sweep drops the connections whose client left and sends the heartbeat
// to the ones written nothing since the last sweep.
func (w *writer) sweep() {
	head := w.f.log.head.Load()
	w.each(func(c *conn) bool {
		if peerClosed(c.fd) {
			_ = c.nc.Close()
			return false
		}
		if !c.wrote && len(c.pending) == 0 {
			c.pending = heartbeat
		}
		c.wrote = false
		return w.write(c, head)
	})
}

// each calls fn on every connection the writer owns now (not dead, not
// with a flusher) and keeps those for which it returns true.
func (w *writer) each(fn func(*conn) bool) {
	kept := w.conns[:0]
	for _, c := range w.conns {
		switch {
		case c.dead.Load():
			continue
		case c.flushing.Load():
		case !fn(c):
			continue
		}
		kept = append(kept, c)
	}
	clear(w.conns[len(kept):])
	w.conns = kept
}

// write writes what c lacks up to head; a full socket is handed to a
// flusher. It reports false when c failed (and closes it).
func (w *writer) write(c *conn, head uint64) bool {
	full, err := c.writeTo(c.fd, &w.f.log, head, &w.iov)
	clear(w.iov) // drop the references to the frames of the last writev
	if err != nil {
		_ = c.nc.Close()
		return false
	}
	if full {
		c.flushing.Store(true)
		go w.flush(c)
	}
	return true
}

// flush owns c while its socket is full: it waits until the socket takes
// more (at most writeTimeout each time) and writes until c has all the log
// holds, then hands c back to the writer. It closes c when a write fails
// or times out.
func (w *writer) flush(c *conn) {
	iov := make([]syscall.Iovec, 0, maxIov)
	_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		full, err := c.writeTo(int(fd), &w.f.log, w.f.log.head.Load(), &iov)
		if err != nil {
			werr = err
			return true
		}
		if full {
			_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		}
		return !full
	})
	if err != nil || werr != nil {
		_ = c.nc.Close()
		c.dead.Store(true)
		return
	}
	_ = c.nc.SetWriteDeadline(time.Time{})
	c.flushing.Store(false)
	w.signal() // what was published meanwhile
}

// closeAll closes every connection of the writer (a flusher's too: its
// write then fails).
func (w *writer) closeAll() {
	w.takeIncoming()
	for _, c := range w.conns {
		_ = c.nc.Close()
	}
	clear(w.conns)
	w.conns = nil
}
