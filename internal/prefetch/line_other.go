//go:build !amd64 && !arm64

package prefetch

// line does nothing here.
func line(uintptr) {}
