package compress

import "strings"

// Encoding is a content coding a stream can be written in.
type Encoding uint8

// The encodings a stream can be written in.
const (
	// Identity is no content coding: the frames as they are.
	Identity Encoding = iota
	// Gzip is the gzip format (RFC 1952) around deflate blocks.
	Gzip
	// Deflate is HTTP's "deflate": the zlib format (RFC 1950) around
	// deflate blocks.
	Deflate
	// Zstd is a sequence of zstd frames (RFC 8878), one per event frame.
	Zstd
	numEncodings
)

// encodingNames are the content-coding tokens, by Encoding.
var encodingNames = [numEncodings]string{"identity", "gzip", "deflate", "zstd"}

// String returns the encoding's content-coding token, as Content-Encoding
// carries it ("identity" for Identity, which is never sent).
func (e Encoding) String() string {
	if e < numEncodings {
		return encodingNames[e]
	}
	return "unknown"
}

// ParseEncoding returns the encoding whose content-coding token is name
// (case-insensitive; "x-gzip" is gzip), and false when there is none.
func ParseEncoding(name string) (Encoding, bool) {
	for e, n := range encodingNames {
		if strings.EqualFold(name, n) {
			return Encoding(e), true
		}
	}
	if strings.EqualFold(name, "x-gzip") {
		return Gzip, true
	}
	return Identity, false
}

// Deflated reports whether the encoding is written from deflate blocks
// (gzip or zlib).
func (e Encoding) Deflated() bool { return e == Gzip || e == Deflate }
