package main

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
)

// errEvicted marks a connection whose next bytes the log no longer holds.
var errEvicted = errors.New("limit: connection fell out of the log")

// maxIov is the most iovecs one writev takes (Linux's IOV_MAX is 1024).
const maxIov = 1024

// conn is one taken-over stream. Its writer owns it, or, while its socket
// is full, a flusher goroutine does (flushing); fd is written to directly,
// which is safe because only the owner closes nc.
type conn struct {
	nc  net.Conn
	raw syscall.RawConn
	fd  int

	pos     uint64 // the log's offset of the next byte to write
	pending []byte // written before the log's bytes: the headers, a heartbeat
	wrote   bool   // something was written since the last heartbeat sweep

	flushing atomic.Bool // a flusher owns the connection
	dead     atomic.Bool // its flusher closed it; the writer drops it
}

// writeTo writes to fd the pending bytes and the log's bytes from c.pos up
// to head, one writev at a time, until all is written (full false), the
// socket takes no more (full true) or the write fails. iov is scratch.
func (c *conn) writeTo(fd int, l *byteLog, head uint64, iov *[]syscall.Iovec) (full bool, err error) {
	for c.pos < head || len(c.pending) > 0 {
		v := (*iov)[:0]
		if len(c.pending) > 0 {
			v = appendIovec(v, c.pending)
		}
		v, ok := l.appendRange(v, c.pos, head, maxIov)
		*iov = v
		if !ok {
			return false, errEvicted
		}
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
// the pending bytes, if any, then the log's); it reports whether all of v
// was written.
func (c *conn) advance(v []syscall.Iovec, n int) bool {
	total := 0
	for _, e := range v {
		total += int(e.Len)
	}
	k := min(n, len(c.pending))
	c.pending = c.pending[k:]
	if len(c.pending) == 0 {
		c.pending = nil
	}
	c.pos += uint64(n - k)
	return n == total
}
