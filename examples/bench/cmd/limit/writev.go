package main

import (
	"syscall"
	"unsafe"
)

// appendIovec appends the iovec of b (not empty) to v.
func appendIovec(v []syscall.Iovec, b []byte) []syscall.Iovec {
	e := syscall.Iovec{Base: &b[0]}
	e.SetLen(len(b))
	return append(v, e)
}

// writev writes v to the non-blocking descriptor fd with one writev(2).
func writev(fd int, v []syscall.Iovec) (int, error) {
	n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&v[0])), uintptr(len(v)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// peerClosed reports whether the client closed (or reset) the connection
// on fd: a non-blocking peek that finds end-of-file or an error.
func peerClosed(fd int) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return (n == 0 && err == nil) || (err != nil && err != syscall.EAGAIN && err != syscall.EINTR)
}
