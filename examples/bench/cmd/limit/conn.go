package main

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
)

// errEvicted marks a connection whose next frame the log no longer holds.
var errEvicted = errors.New("limit: connection fell out of the log")

// maxIov is the most frames one writev takes (Linux's IOV_MAX is 1024).
const maxIov = 1024

// conn is one taken-over stream. Its writer owns it, or, while its socket
// is full, a flusher goroutine does (flushing); fd is written to directly,
// which is safe because only the owner closes nc.
type conn struct {
	nc  net.Conn
	raw syscall.RawConn
	fd  int

	next    uint64 // the sequence of the next frame to write
	off     int    // bytes of that frame already written
	pending []byte // written before the frames: the headers, a heartbeat
	wrote   bool   // something was written since the last heartbeat sweep

	flushing atomic.Bool // a flusher owns the connection
	dead     atomic.Bool // its flusher closed it; the writer drops it
}

// writeTo writes to fd what c lacks up to head, at most maxIov frames per
// writev, until it has it all (full false), the socket takes no more (full
// true) or the write fails. iov is scratch space.
func (c *conn) writeTo(fd int, l *frameLog, head uint64, iov *[]syscall.Iovec) (full bool, err error) {
	for c.next < head || len(c.pending) > 0 {
		v := (*iov)[:0]
		if len(c.pending) > 0 {
			v = appendIovec(v, c.pending)
		}
		for s := c.next; s < head && len(v) < maxIov; s++ {
			f := l.at(s)
			if f == nil {
				return false, errEvicted
			}
			b := f.b
			if s == c.next {
				b = b[c.off:]
			}
			v = appendIovec(v, b)
		}
		*iov = v
		n, err := writev(fd, v)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return true, nil
		case err != nil:
			return false, err
		}
		if n > 0 {
			c.wrote = true
		}
		if !c.advance(v, n) {
			return true, nil
		}
	}
	return false, nil
}

// advance moves c past the n bytes written of v (the iovecs of one writev:
// the pending bytes, if any, then the frames from c.next on); it reports
// whether all of v was written.
func (c *conn) advance(v []syscall.Iovec, n int) bool {
	if len(c.pending) > 0 {
		k := min(n, len(c.pending))
		c.pending = c.pending[k:]
		n -= k
		v = v[1:]
		if len(c.pending) > 0 {
			return false
		}
		c.pending = nil
	}
	for _, e := range v {
		rest := int(e.Len)
		if n < rest {
			c.off += n
			return false
		}
		n -= rest
		c.next++
		c.off = 0
	}
	return true
}
