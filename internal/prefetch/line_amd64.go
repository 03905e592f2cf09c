package prefetch

// line prefetches the cache line of addr into all cache levels (PREFETCHT0).
func line(addr uintptr)
