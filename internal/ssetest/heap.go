package ssetest

import "runtime"

// MemAfterGC returns the memory statistics after full collections (three,
// so that finalizers and cleanups run by the first are done and what they
// freed is collected too): what a test compares to see whether the heap
// grew.
func MemAfterGC() runtime.MemStats {
	for range 3 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
