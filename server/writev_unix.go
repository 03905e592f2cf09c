//go:build unix

package server

import (
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// tryWritev writes as much of bufs to the taken-over connection as its
// socket takes now, without blocking, with one writev(2): the slices go
// out as they are, with no copy, through the iovecs of a pooled rawCall
// (no allocation per write). It returns the bytes written. A connection
// without a file descriptor takes nothing here: its writes all go through
// a flusher.
func (s *stream) tryWritev(bufs [][]byte) (int, error) {
	if s.raw == nil {
		return 0, nil
	}
	c := rawCallPool.Get().(*rawCall)
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		c.iov = append(c.iov, v)
	}
	err := s.raw.Write(c.writev)
	n, werr := c.n, c.err
	c.reset()
	rawCallPool.Put(c)
	return n, cmpErr(werr, err)
}

// rawCall is the state of one call into a taken-over connection's
// syscall.RawConn: its arguments and results live here, and writev and
// peek are its methods bound once (when the pool makes it), so a call
// passes a func value that exists already rather than a closure over
// locals, which would be allocated on every write.
type rawCall struct {
	iov    []unix.Iovec // the iovecs of writev
	n      int          // bytes written
	err    error        // the write's error; EAGAIN is none
	closed bool         // peek found the connection closed
	b      [1]byte      // peek's buffer

	writev, peek func(fd uintptr) bool
}

// newRawCall returns a rawCall with room for the iovecs of a batch, its
// chunk size line and CRLF.
func newRawCall() *rawCall {
	c := &rawCall{iov: make([]unix.Iovec, 0, hub.BatchFrames+4)}
	c.writev, c.peek = c.doWritev, c.doPeek
	return c
}

// reset forgets the last call's arguments and results; the iovecs are
// cleared so that the pool does not keep the frames alive.
func (c *rawCall) reset() {
	clear(c.iov)
	c.iov = c.iov[:0]
	c.n, c.err, c.closed = 0, nil, false
}

// doWritev writes c.iov with one writev(2) on fd.
func (c *rawCall) doWritev(fd uintptr) bool {
	if len(c.iov) == 0 {
		return true
	}
	for {
		m, _, errno := unix.Syscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&c.iov[0])), uintptr(len(c.iov)))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			if errno != unix.EAGAIN {
				c.err = errno
			}
			return true
		}
		// A short write means the socket is full: the rest goes to a
		// flusher, which waits until it takes more.
		c.n = int(m)
		return true
	}
}

// doPeek peeks at one byte of fd without taking it, and notes whether the
// peer has closed (or reset) the connection.
func (c *rawCall) doPeek(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), c.b[:], syscall.MSG_PEEK)
	c.closed = (n == 0 && err == nil) || (err != nil && err != syscall.EAGAIN && err != syscall.EINTR)
	return true
}

// rawCallPool holds the rawCalls of tryWritev and peerClosed.
var rawCallPool = sync.Pool{New: func() any { return newRawCall() }}

// peerClosed reports whether the client of a taken-over connection has
// closed it (or reset it), without reading anything: a peek at the socket
// (non-blocking, as Go's sockets are) that finds end-of-file. Without a
// file descriptor it reports false: the next write tells.
func (s *stream) peerClosed() bool {
	if s.raw == nil {
		return false
	}
	c := rawCallPool.Get().(*rawCall)
	s.raw.Read(c.peek)
	closed := c.closed
	c.reset()
	rawCallPool.Put(c)
	return closed
}
