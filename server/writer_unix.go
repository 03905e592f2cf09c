//go:build unix

package server

import "syscall"

// tryWrite writes as much of b to the taken-over connection as its socket
// takes now, without blocking. A connection without a file descriptor
// takes nothing here: its writes all go through a flusher.
func (s *stream) tryWrite(b []byte) (int, error) {
	if s.raw == nil {
		return 0, nil
	}
	n := 0
	var werr error
	err := s.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, err := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
				return true
			case err != nil:
				werr = err
				return true
			case m <= 0:
				return true
			}
		}
		return true
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
