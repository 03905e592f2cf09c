package compress

import (
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
)

// A frame's first line may be known only after its rest was compressed (a
// hub gives the event its id under a lock, the body being compressed
// before): the line then goes as a stored deflate block before the rest's
// blocks, which costs a 5-byte block header and no compressor.

// StoredRoom is the room Prepend needs before a frame's blocks for a prefix
// of n bytes (n < 65536).
func StoredRoom(n int) int { return storedHeaderLen + n }

// storedHeaderLen is a stored block's header on a byte boundary: BFINAL 0
// and BTYPE 00 in a byte of their own, then LEN and NLEN.
const storedHeaderLen = 5

// Prepend writes prefix as a stored block just before the blocks of rest,
// which start at buf[start:] (start >= StoredRoom(len(prefix))), and returns
// where the whole frame's blocks now start and its Deflated.
func Prepend(buf []byte, start int, prefix []byte, rest Deflated) (int, Deflated) {
	n := len(prefix)
	at := start - StoredRoom(n)
	buf[at] = 0
	binary.LittleEndian.PutUint16(buf[at+1:], uint16(n))
	binary.LittleEndian.PutUint16(buf[at+3:], ^uint16(n))
	copy(buf[at+storedHeaderLen:], prefix)
	shift := crcShift(uint64(n))
	return at, Deflated{
		Blocks: buf[at:],
		CRC:    crc32Combine(crc32.ChecksumIEEE(prefix), rest.CRC, rest.shift),
		Adler:  adler32Combine(adler32.Checksum(prefix), rest.Adler, uint64(rest.Len)),
		shift:  mulModP(shift, rest.shift),
		Len:    uint32(n) + rest.Len,
	}
}
