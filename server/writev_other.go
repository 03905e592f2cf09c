//go:build !unix

package server

// tryWritev takes nothing on systems without a non-blocking writev(2):
// every write of a taken-over stream goes through a flusher goroutine.
func (s *stream) tryWritev(bufs [][]byte) (int, error) { return 0, nil }

// peerClosed reports false: the next write tells.
func (s *stream) peerClosed() bool { return false }
