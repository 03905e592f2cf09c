//go:build unix

package server

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// iovecs is the iovec array of writev, reused from write to write by its
// owner (a shared writer), so that a write allocates nothing.
type iovecs struct{ v []unix.Iovec }

// fdOf returns the file descriptor of a taken-over connection, or -1 when
// it has none (a net.Conn that is not a socket of this process).
func fdOf(conn net.Conn) int {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if raw.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// tryWritev writes as much of bufs to the taken-over connection as its
// socket takes now, without blocking, with one writev(2) on its
// descriptor: the slices go out as they are, with no copy, through iov. It
// returns the bytes written; a full socket is no error. A connection
// without a descriptor takes nothing here: its writes all go through a
// flusher.
//
// The write goes to the descriptor itself, not through the net.Conn (no
// poll-descriptor check and no write lock per write): only the stream's
// owner calls it (its writer, or whoever holds a stream no writer has),
// and the connection is closed only by its owner, so the descriptor cannot
// be closed, and its number reused, during the write. The socket is
// non-blocking, as all of Go's are.
func (s *stream) tryWritev(iov *iovecs, bufs [][]byte) (int, error) {
	if s.fd < 0 {
		return 0, nil
	}
	v := iov.v[:0] // a writer's grows to its largest batch once
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		e := unix.Iovec{Base: &b[0]}
		e.SetLen(len(b))
		v = append(v, e)
	}
	n, err := writev(s.fd, v)
	clear(v) // let eviction free the frames
	iov.v = v[:0]
	return n, err
}

// writev writes v to fd with one writev(2). A short write means the socket
// is full: the caller hands the rest to a flusher, which waits until it
// takes more; EAGAIN is a write of nothing.
func writev(fd int, v []unix.Iovec) (int, error) {
	if len(v) == 0 {
		return 0, nil
	}
	for {
		n, _, errno := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&v[0])), uintptr(len(v)))
		switch errno {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		default:
			return 0, errno
		}
	}
}

// peerClosed reports whether the client of a taken-over connection has
// closed it (or reset it), without reading anything: a non-blocking peek
// at the socket that finds end-of-file or an error. Without a descriptor
// it reports false: the next write tells. Only the stream's owner calls
// it, as for tryWritev.
func (s *stream) peerClosed() bool {
	if s.fd < 0 {
		return false
	}
	var b [1]byte
	for {
		n, _, err := unix.Recvfrom(s.fd, b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		return (n == 0 && err == nil) || (err != nil && err != unix.EAGAIN)
	}
}
