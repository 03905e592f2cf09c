//go:build unix

package writepath

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Iovecs is the iovec array of writev, reused from write to write by its
// owner (a shared writer), so that a write allocates nothing.
type Iovecs struct{ v []unix.Iovec }

// fdOf returns the descriptor of nc, or -1 when it has none (a net.Conn
// that is not a socket of this process).
func fdOf(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
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

// writevFD writes bufs to fd with one writev(2), through iov. A short
// write means the socket is full; EAGAIN is a write of nothing. The
// socket is non-blocking, as all of Go's are.
func writevFD(fd int, iov *Iovecs, bufs [][]byte) (int, error) {
	v := iov.v[:0] // grows to its owner's largest batch once
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		e := unix.Iovec{Base: &b[0]}
		e.SetLen(len(b))
		v = append(v, e)
	}
	n, err := writev(fd, v)
	clear(v) // let eviction free the frames
	iov.v = v[:0]
	return n, err
}

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

// peekClosed reports whether the peer of socket fd closed or reset it: a
// non-blocking MSG_PEEK that finds end-of-file or an error.
func peekClosed(fd int) bool {
	var b [1]byte
	for {
		n, _, err := unix.Recvfrom(fd, b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		return (n == 0 && err == nil) || (err != nil && err != unix.EAGAIN)
	}
}
