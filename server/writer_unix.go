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
