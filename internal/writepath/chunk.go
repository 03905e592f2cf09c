package writepath

import (
	"net"
	"strconv"
)

// A taken-over stream keeps the chunked transfer encoding net/http chose
// for its response: every write after the takeover is whole HTTP/1.1
// chunks, and the stream ends with the last-chunk marker.

// LastChunk ends a chunked response body; CRLF ends a chunk.
var (
	LastChunk = []byte("0\r\n\r\n")
	CRLF      = []byte("\r\n")
)

// AppendChunk appends frames as one HTTP/1.1 chunk.
func AppendChunk(dst, frames []byte) []byte {
	dst = AppendChunkSize(dst, len(frames))
	dst = append(dst, frames...)
	return append(dst, CRLF...)
}

// AppendChunkSize appends the size line of a chunk of n bytes.
func AppendChunkSize(dst []byte, n int) []byte {
	return append(strconv.AppendInt(dst, int64(n), 16), CRLF...)
}

// RestOf returns what is left of bufs after its first n bytes (what a
// partial writev did not take), as new slice headers over the same bytes:
// none is copied.
func RestOf(bufs [][]byte, n int) net.Buffers {
	rest := make(net.Buffers, 0, len(bufs))
	for _, b := range bufs {
		if n >= len(b) {
			n -= len(b)
			continue
		}
		b, n = b[n:], 0
		rest = append(rest, b)
	}
	return rest
}
