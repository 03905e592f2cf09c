package compress

import (
	"hash/adler32"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// TestCombineMatchesWholeChecksum checks that combining the checksums of a
// random split gives the checksum of the whole, for lengths across the
// shift operator's bits (0, 1, powers of two and around them).
func TestCombineMatchesWholeChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 70000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	cuts := []int{0, 1, 2, 7, 8, 255, 256, 4096, 5551, 5552, 65520, 65521, 65522, 69999, 70000}
	for _, a := range cuts {
		for _, n := range cuts {
			if a+n > len(data) {
				continue
			}
			A, B := data[:a], data[a:a+n]
			whole := data[:a+n]
			if got, want := crc32Combine(crc32.ChecksumIEEE(A), crc32.ChecksumIEEE(B), crcShift(uint64(n))), crc32.ChecksumIEEE(whole); got != want {
				t.Errorf("crc32 %d+%d: got %08x, want %08x", a, n, got, want)
			}
			if got, want := adler32Combine(adler32.Checksum(A), adler32.Checksum(B), uint64(n)), adler32.Checksum(whole); got != want {
				t.Errorf("adler32 %d+%d: got %08x, want %08x", a, n, got, want)
			}
		}
	}
}

// FuzzCombine checks the combination against the checksum of the whole for
// any two parts.
func FuzzCombine(f *testing.F) {
	f.Add([]byte("data: hello\n\n"), []byte(": heartbeat\n\n"))
	f.Add([]byte{}, []byte{0xff, 0xff, 0xff})
	f.Add(make([]byte, 5553), []byte{0xff})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		whole := append(append([]byte{}, a...), b...)
		if got, want := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), crcShift(uint64(len(b)))), crc32.ChecksumIEEE(whole); got != want {
			t.Errorf("crc32: got %08x, want %08x", got, want)
		}
		if got, want := adler32Combine(adler32.Checksum(a), adler32.Checksum(b), uint64(len(b))), adler32.Checksum(whole); got != want {
			t.Errorf("adler32: got %08x, want %08x", got, want)
		}
	})
}

// TestCrcShiftLarge checks the shift operator for lengths whose bits reach
// high in the table: shifting by m then by n equals shifting by m+n.
func TestCrcShiftLarge(t *testing.T) {
	for _, pair := range [][2]uint64{{1 << 31, 1 << 31}, {1<<32 - 1, 1}, {123456789, 987654321}} {
		m, n := pair[0], pair[1]
		if got, want := mulModP(crcShift(m), crcShift(n)), crcShift(m+n); got != want {
			t.Errorf("shift %d then %d: got %08x, want %08x", m, n, got, want)
		}
	}
}
