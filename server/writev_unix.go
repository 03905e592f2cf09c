//go:build unix

package server

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// tryWritev writes as much of bufs to the taken-over connection as its
// socket takes now, without blocking, with writev(2): the slices go out as
// they are, with no copy. It returns the bytes written. A connection
// without a file descriptor takes nothing here: its writes all go through
// a flusher.
func (s *stream) tryWritev(bufs [][]byte) (int, error) {
	if s.raw == nil {
		return 0, nil
	}
	n := 0
	var werr error
	err := s.raw.Write(func(fd uintptr) bool {
		for {
			m, err := unix.Writev(int(fd), bufs)
			if err == syscall.EINTR {
				continue
			}
			n = max(m, 0)
			if err != nil && err != syscall.EAGAIN {
				werr = err
			}
			// A short write means the socket is full: the rest goes to a
			// flusher, which waits until it takes more.
			return true
		}
	})
	return n, cmpErr(werr, err)
}

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
