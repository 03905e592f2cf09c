package compress

// Adler-32 (as zlib uses it) of a concatenation from the Adler-32s of its
// parts. The checksum is two sums modulo 65521 (s1: 1 plus the bytes; s2:
// the sum of s1 after each byte), s2 in the high half. Appending B, of n
// bytes, to A adds B's bytes to s1, and to s2 adds n times A's s1 plus B's
// own s2 (whose s1 started at 1, not at A's s1):
//
//	s1 = s1A + s1B - 1
//	s2 = s2A + s2B + n·(s1A - 1)
//
// all modulo 65521.

// adlerMod is the largest prime below 2^16.
const adlerMod = 65521

// adler32Combine returns the Adler-32 of A‖B from adlerA, adlerB and n, the
// length of B.
func adler32Combine(adlerA, adlerB uint32, n uint64) uint32 {
	s1A, s2A := uint64(adlerA&0xffff), uint64(adlerA>>16)
	s1B, s2B := uint64(adlerB&0xffff), uint64(adlerB>>16)
	s1 := (s1A + s1B + adlerMod - 1) % adlerMod
	s2 := (s2A + s2B + (n%adlerMod)*((s1A+adlerMod-1)%adlerMod)) % adlerMod
	return uint32(s2<<16 | s1)
}
