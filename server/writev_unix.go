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
// out as they are, with no copy, through iovecs from a pool (no
// allocation per write). It returns the bytes written. A connection
// without a file descriptor takes nothing here: its writes all go through
// a flusher.
func (s *stream) tryWritev(bufs [][]byte) (int, error) {
	if s.raw == nil {
		return 0, nil
	}
	ip := iovecPool.Get().(*[]unix.Iovec)
	iov := (*ip)[:0]
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	n := 0
	var werr error
	err := s.raw.Write(func(fd uintptr) bool {
		if len(iov) == 0 {
			return true
		}
		for {
			m, _, errno := unix.Syscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
			if errno == unix.EINTR {
				continue
			}
			if errno != 0 {
				if errno != unix.EAGAIN {
					werr = errno
				}
				return true
			}
			// A short write means the socket is full: the rest goes to a
			// flusher, which waits until it takes more.
			n = int(m)
			return true
		}
	})
	clear(iov) // the pool must not keep the frames alive
	*ip = iov[:0]
	iovecPool.Put(ip)
	return n, cmpErr(werr, err)
}

// iovecPool holds the iovec arrays of tryWritev: a batch, its chunk size
// line and CRLF.
var iovecPool = sync.Pool{New: func() any { v := make([]unix.Iovec, 0, hub.BatchFrames+4); return &v }}

// peerClosed reports whether the client of a taken-over connection has
// closed it (or reset it), without reading anything: a peek at the socket
// (non-blocking, as Go's sockets are) that finds end-of-file. Without a
// file descriptor it reports false: the next write tells.
func (s *stream) peerClosed() bool {
	if s.raw == nil {
		return false
	}
	closed := false
	var b [1]byte
	s.raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
		closed = (n == 0 && err == nil) || (err != nil && err != syscall.EAGAIN && err != syscall.EINTR)
		return true
	})
	return closed
}
