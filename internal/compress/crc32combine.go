package compress

// CRC-32 (IEEE, as gzip uses it) of a concatenation from the CRC-32s of its
// parts. A CRC is the remainder of a polynomial over GF(2) modulo P; with
// gzip's pre- and post-inversion, crc(A‖B) = crc(A)·x^(8·len(B)) ⊕ crc(B)
// (mod P), because the inversions of A's end and B's start cancel. So a
// frame keeps its CRC and the operator x^(8·len) mod P, and adding it to a
// running CRC costs one multiplication modulo P, whatever its length.
//
// Polynomials are held bit-reflected, as the CRC itself is: bit 31 is the
// coefficient of x^0, bit 0 that of x^31.

// crcPoly is P without its x^32 term, reflected (IEEE 802.3).
const crcPoly = 0xedb88320

// mulModP returns a·b mod P.
func mulModP(a, b uint32) uint32 {
	var p uint32
	for a != 0 {
		if a&(1<<31) != 0 {
			p ^= b
		}
		a <<= 1
		// b·x mod P: shift towards higher powers, reducing x^32 to P's rest.
		b = b>>1 ^ crcPoly&-(b&1)
	}
	return p
}

// x2k holds x^(2^k) mod P for k = 0..63.
var x2k = func() (t [64]uint32) {
	t[0] = 1 << 30 // x^1
	for k := 1; k < len(t); k++ {
		t[k] = mulModP(t[k-1], t[k-1])
	}
	return t
}()

// crcShift returns the operator x^(8·n) mod P that moves a CRC past n
// bytes (n < 2^60).
func crcShift(n uint64) uint32 {
	op := uint32(1 << 31) // x^0
	for k := 3; n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			op = mulModP(x2k[k], op)
		}
	}
	return op
}

// crc32Combine returns the CRC-32 of A‖B from crcA, crcB and shiftB, the
// operator crcShift(len(B)).
func crc32Combine(crcA, crcB, shiftB uint32) uint32 {
	return mulModP(shiftB, crcA) ^ crcB
}
