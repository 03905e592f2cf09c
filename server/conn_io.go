package server

import "github.com/go-micro-sse/go-micro-sse/internal/writepath"

// iovecs is the iovec array of writev, reused from write to write by its
// owner (a shared writer), so that a write allocates nothing.
type iovecs = writepath.Iovecs

// tryWritev writes as much of bufs to the taken-over connection as its
// socket takes now, without blocking, with one writev(2) on its
// descriptor (writepath.Conn, which owns it): the slices go out as they
// are, with no copy. It returns the bytes written; a full socket is no
// error. A connection without a descriptor takes nothing here: its writes
// all go through a flusher.
func (s *stream) tryWritev(iov *iovecs, bufs [][]byte) (int, error) {
	return s.conn.Writev(iov, bufs)
}

// peerClosed reports whether the client of a taken-over connection has
// closed it (or reset it), without reading anything. Without a descriptor
// it reports false: the next write tells.
func (s *stream) peerClosed() bool { return s.conn.PeerClosed() }
