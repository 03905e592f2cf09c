package compress

import (
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstdEncoder is the one encoder every ZstdFrame call shares: EncodeAll is
// safe for concurrent use, each call taking one of its GOMAXPROCS states.
// Frames carry no checksum (4 bytes each; deflate frames carry none
// either, and TCP or TLS guards the bytes).
var zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(false),
		zstd.WithEncoderConcurrency(0),
	)
	if err != nil { // only for invalid options
		panic(err)
	}
	return enc
})

// ZstdFrame compresses frame into one complete zstd frame appended to dst
// (which may be nil or hold the caller's own framing), and returns the
// appended part. Zstd frames concatenate: a stream of them needs no header,
// trailer or state. An empty frame gives nothing.
func ZstdFrame(dst, frame []byte) []byte {
	out := zstdEncoder().EncodeAll(frame, dst)
	return out[len(dst):]
}
