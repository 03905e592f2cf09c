package compress

import (
	"hash/adler32"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/flate"
)

// DeflateLevel is the compression level of DeflateFrame (klauspost/compress
// flate's levels: 1 fastest to 9 smallest).
const DeflateLevel = 5

// Deflated is one frame compressed alone: deflate blocks that start and end
// on a byte boundary and leave the stream open (no final block), and what a
// Stream needs to account for the frame in its trailer. Immutable once
// made; safe to share between connections.
type Deflated struct {
	// Blocks are the frame's deflate blocks.
	Blocks []byte
	// CRC is the CRC-32 (IEEE) of the frame.
	CRC uint32
	// Adler is the Adler-32 of the frame.
	Adler uint32
	// shift is x^(8·Len) mod the CRC polynomial, which moves a CRC past
	// the frame.
	shift uint32
	// Len is the frame's length.
	Len uint32
}

// deflater is a pooled compressor with the writer it writes to.
type deflater struct {
	fw  *flate.Writer
	out appender
}

// appender is an io.Writer that appends to its slice.
type appender struct{ b []byte }

// Write appends p.
func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

var deflaters = sync.Pool{New: func() any {
	d := new(deflater)
	fw, err := flate.NewWriter(&d.out, DeflateLevel)
	if err != nil { // only for a level out of range
		panic(err)
	}
	d.fw = fw
	return d
}}

// DeflateFrame compresses frame alone, appending its blocks to dst (which
// may be nil, or hold the caller's own framing before them), and returns
// the grown dst and the frame's Deflated, whose Blocks are the appended
// part.
// The blocks end with an empty stored block (a sync flush), so they are
// byte-aligned and independent of whatever comes before or after them.
func DeflateFrame(dst, frame []byte) ([]byte, Deflated) {
	d := deflaters.Get().(*deflater)
	d.out.b = dst
	d.fw.Reset(&d.out)
	// Writes and flushes to an appender cannot fail.
	_, _ = d.fw.Write(frame)
	_ = d.fw.Flush()
	out := d.out.b
	d.out.b = nil
	deflaters.Put(d)
	return out, Deflated{
		Blocks: out[len(dst):],
		CRC:    crc32.ChecksumIEEE(frame),
		Adler:  adler32.Checksum(frame),
		shift:  crcShift(uint64(len(frame))),
		Len:    uint32(len(frame)),
	}
}
