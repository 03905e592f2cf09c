//go:build !unix

package server

// fileLimit returns 0: the file limit is not known on this system.
func fileLimit() uint64 { return 0 }
