// Package prefetch asks the processor to bring memory into its caches
// ahead of use, without waiting for it: a writer that goes through many
// connections, each one's state cold in the caches (the kernel's copies of
// the last round's writes pushed it out), names the next connection's
// state before it makes this one's system call, so that the loads overlap
// the call instead of following it.
package prefetch

import "unsafe"

// lineSize is the cache line size assumed (amd64's and most arm64's).
const lineSize = 64

// Range asks for the cache lines holding the size bytes from p. It never
// faults, whatever p is, and does nothing on architectures without a
// prefetch instruction here.
func Range(p unsafe.Pointer, size uintptr) {
	if size == 0 {
		return
	}
	// Addresses, not pointers: a line's start may lie before p's object,
	// which no pointer may, and a prefetch reads nothing.
	first := uintptr(p) &^ (lineSize - 1)
	last := (uintptr(p) + size - 1) &^ (lineSize - 1)
	for a := first; a <= last; a += lineSize {
		line(a)
	}
}
