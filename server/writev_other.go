//go:build !unix

package server

import "net"

// iovecs holds nothing on systems without a non-blocking writev(2).
type iovecs struct{}

// fdOf returns -1: a taken-over connection is written through a flusher
// goroutine only.
func fdOf(net.Conn) int { return -1 }

// tryWritev takes nothing on systems without a non-blocking writev(2):
// every write of a taken-over stream goes through a flusher goroutine.
func (s *stream) tryWritev(*iovecs, [][]byte) (int, error) { return 0, nil }

// peerClosed reports false: the next write tells.
func (s *stream) peerClosed() bool { return false }
