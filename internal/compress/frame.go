package compress

// Frame is a frame a server writes into many streams of its own making (a
// heartbeat, the retry hint on open): compressed once, in every encoding
// it may be written in. Immutable once made.
type Frame struct {
	// Plain is the frame itself.
	Plain []byte
	// Deflated is the frame as deflate blocks, for gzip and zlib streams.
	Deflated Deflated
	// Zstd is the frame as one zstd frame.
	Zstd []byte
}

// NewFrame returns plain compressed once for every encoding.
func NewFrame(plain []byte) *Frame {
	_, d := DeflateFrame(nil, plain)
	return &Frame{Plain: plain, Deflated: d, Zstd: ZstdFrame(nil, plain)}
}

// Bytes returns what a stream in enc writes for the frame: its deflate
// blocks for gzip and zlib, its zstd frame for zstd, else the frame
// itself.
func (f *Frame) Bytes(enc Encoding) []byte {
	switch {
	case enc.Deflated():
		return f.Deflated.Blocks
	case enc == Zstd:
		return f.Zstd
	}
	return f.Plain
}
