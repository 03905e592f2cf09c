package server

import (
	"net/http"
	"strings"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/internal/compress"
)

// Compressed streams. The events endpoint answers a request whose
// Accept-Encoding accepts one of the server's encodings (Compression) with
// a stream in that encoding: Content-Encoding names it, and every response
// of the endpoint carries Vary: Accept-Encoding. Each event is compressed
// once for every such stream, and each heartbeat and open frame once for
// the server; a stream adds only the format's header when it opens and,
// when it ends cleanly, the trailer. A request that accepts none of them
// gets the stream as it is.

// DefaultCompression is the encodings the events endpoint offers when
// Compression is not given, in its order of preference.
var DefaultCompression = []string{"gzip", "deflate"}

type compressionKey struct{}

// Compression sets the content codings the events endpoint offers, in its
// order of preference (default DefaultCompression: "gzip", then
// "deflate"); Compression() with none turns compression off. Names other
// than "gzip" and "deflate" are ignored. A client gets an encoding only when
// its Accept-Encoding accepts it; one that sends none, or accepts none of
// these, gets the stream uncompressed.
func Compression(encodings ...string) server.Option {
	return setOption(compressionKey{}, append([]string{}, encodings...))
}

// compressionOf returns the encodings named, in order, those the server
// cannot write dropped.
func compressionOf(names []string) []compress.Encoding {
	var out []compress.Encoding
	for _, n := range names {
		if e, ok := compress.ParseEncoding(strings.TrimSpace(n)); ok && e.Deflated() {
			out = append(out, e)
		}
	}
	return out
}

// compressedFrames are the frames the endpoint writes into many streams,
// compressed once.
type compressedFrames struct {
	open, heartbeat *compress.Frame
}

// encodingOf returns the encoding of r's stream: the best the client
// accepts among the server's, else identity.
func (e *endpoint) encodingOf(r *http.Request) compress.Encoding {
	if len(e.cfg.Compression) == 0 {
		return compress.Identity
	}
	return compress.Negotiate(strings.Join(r.Header.Values("Accept-Encoding"), ","), e.cfg.Compression)
}

// setEncodingHeaders sets the headers of a stream in enc: Vary whenever
// the endpoint compresses (the response depends on Accept-Encoding), and
// Content-Encoding when it is compressed.
func (e *endpoint) setEncodingHeaders(h http.Header, enc compress.Encoding) {
	h.Del("Content-Encoding")
	if len(e.cfg.Compression) == 0 {
		return
	}
	h.Add("Vary", "Accept-Encoding")
	if enc != compress.Identity {
		h.Set("Content-Encoding", enc.String())
	}
}

// encode returns frame as s writes it: compressed alone in s's encoding
// (and accounted for in its trailer), or a copy. For frames written once
// per stream (the shutdown hint, the expiry event).
func (s *stream) encode(dst, frame []byte) []byte { return s.Sub.AppendPlain(dst, frame) }

// compressed reports whether s is written in a content coding.
func (s *stream) compressed() bool { return s.Sub.Encoding() != compress.Identity }

// trailer returns what ends s cleanly in its encoding (nil for identity).
func (s *stream) trailer() []byte { return s.Sub.AppendTrailer(nil) }
