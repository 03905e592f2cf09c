package compress

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// heartbeat and reset stand for the frames a server precompresses once and
// writes into many streams.
var (
	heartbeat = []byte(":\n\n")
	reset     = []byte("event: sse-reset\nid: k3j9q0ab-2s\ndata: {\"reason\":\"evicted\"}\n\n")
)

// compressed is one frame in every encoding, as a server keeps it.
type compressed struct {
	plain    []byte
	deflated Deflated
	zstd     []byte
}

// compress compresses frame as a server does; a frame whose first line
// starts with "id:" has that line prepended as a stored block, as when the
// id is known only after the rest was compressed.
func compress(frame []byte) *compressed {
	c := &compressed{plain: frame, zstd: ZstdFrame(nil, frame)}
	line, _, ok := bytes.Cut(frame, []byte("\n"))
	if !bytes.HasPrefix(frame, []byte("id:")) || !ok || len(line) >= 1<<16-1 {
		_, c.deflated = DeflateFrame(nil, frame)
		return c
	}
	prefix := frame[:len(line)+1]
	room := StoredRoom(len(prefix)) + 3 // more room than needed, as a hub leaves
	buf, rest := DeflateFrame(make([]byte, room), frame[len(prefix):])
	_, c.deflated = Prepend(buf, room, prefix, rest)
	return c
}

// writeStream writes frames in enc as a connection does: header, each
// frame's shared bytes, and the trailer when clean.
func writeStream(enc Encoding, frames []*compressed, clean bool) []byte {
	s := NewStream(enc)
	out := s.Header(nil)
	for _, f := range frames {
		switch {
		case enc.Deflated():
			out = append(out, f.deflated.Blocks...)
			s.Add(&f.deflated)
		case enc == Zstd:
			out = append(out, f.zstd...)
		default:
			out = append(out, f.plain...)
		}
	}
	if clean {
		out = s.Trailer(out)
	}
	return out
}

// decode reads a whole stream in enc with Go's readers (klauspost's for
// zstd), returning what it read before any error.
func decode(enc Encoding, stream []byte) ([]byte, error) {
	var r io.Reader
	var err error
	switch enc {
	case Gzip:
		r, err = gzip.NewReader(bytes.NewReader(stream))
	case Deflate:
		r, err = zlib.NewReader(bytes.NewReader(stream))
	case Zstd:
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(stream), zstd.WithDecoderConcurrency(1))
		if err == nil {
			defer d.Close()
			r = d
		}
	default:
		return stream, nil
	}
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// checkStream checks that frames written in every encoding decode to their
// concatenation, and, cut before the trailer, to every frame as far as the
// reader can tell without it.
func checkStream(t *testing.T, frames []*compressed) {
	t.Helper()
	var plain []byte
	for _, f := range frames {
		plain = append(plain, f.plain...)
	}
	for _, enc := range []Encoding{Identity, Gzip, Deflate, Zstd} {
		got, err := decode(enc, writeStream(enc, frames, true))
		if err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("%v: decoded %q, want %q", enc, got, plain)
		}
		if !enc.Deflated() {
			continue
		}
		cut := writeStream(enc, frames, false)
		if len(frames) == 0 { // just the header: Go's readers want more
			continue
		}
		got, err = decode(enc, cut)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%v cut before its trailer: error %v, want unexpected EOF", enc, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("%v cut before its trailer: decoded %q, want %q", enc, got, plain)
		}
	}
}

func TestStreamsDecodeToTheFrames(t *testing.T) {
	hb, rs := compress(heartbeat), compress(reset)
	big := bytes.Repeat([]byte("data: {\"user\":\"ada\",\"n\":12345}\n"), 4000)
	cases := map[string][]*compressed{
		"none":       nil,
		"one":        {compress([]byte("data: hello\n\n"))},
		"empty":      {compress(nil), compress([]byte("data: x\n\n")), compress(nil)},
		"heartbeats": {hb, compress([]byte("id: 1\ndata: a\n\n")), hb, hb, rs, compress([]byte("id: 2\ndata: b\n\n")), hb},
		"large":      {compress(append(big, '\n')), hb, compress(big[:70001])},
	}
	for name, frames := range cases {
		t.Run(name, func(t *testing.T) { checkStream(t, frames) })
	}
}

// TestSharedFramesServeManyStreams writes the same compressed frames into
// streams that each start at a different frame, as readers joining late
// do, and checks each decodes to its own part.
func TestSharedFramesServeManyStreams(t *testing.T) {
	var frames []*compressed
	for i := range 20 {
		frames = append(frames, compress(fmt.Appendf(nil, "id: %d\ndata: {\"n\":%d,\"user\":\"ada\"}\n\n", i, i*i)))
	}
	for start := range frames {
		checkStream(t, frames[start:])
	}
}

func TestBlocksAppendAfterCallersBytes(t *testing.T) {
	dst := []byte("room")
	_, d := DeflateFrame(dst, []byte("data: x\n\n"))
	z := ZstdFrame(dst, []byte("data: x\n\n"))
	for name, b := range map[string][]byte{"deflate": d.Blocks, "zstd": z} {
		if bytes.HasPrefix(b, []byte("room")) || len(b) == 0 {
			t.Errorf("%s: appended part %q includes the caller's bytes or is empty", name, b)
		}
	}
	checkStream(t, []*compressed{{plain: []byte("data: x\n\n"), deflated: d, zstd: z}})
}
