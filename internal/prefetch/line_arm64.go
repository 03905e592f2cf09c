package prefetch

// line prefetches the cache line of addr for a load, to be kept (PRFM
// PLDL1KEEP).
func line(addr uintptr)
