package hub

import "github.com/go-micro-sse/go-micro-sse/internal/compress"

// Compressed streams. A subscriber made with Compressed(gzip or deflate)
// reads each event's frame as deflate blocks compressed once for every
// such reader (internal/compress): while some subscriber reads
// compressed, Publish compresses each frame when it appends it (the body
// before taking the lock, the id line, known under it, as a stored block),
// and keeps the blocks beside the frame, counted in the history's bytes. A
// frame appended while no subscriber read compressed is compressed by the
// first reader that needs it, once. The subscriber keeps its stream's
// checksum (12 bytes); its owner writes the header first (AppendHeader)
// and, at a clean end, the trailer (AppendTrailer).

// zframe is a frame's compressed form: its deflate blocks, and the
// checksums a stream needs.
type zframe struct {
	frame frame
	d     compress.Deflated
}

// Compressed makes the subscriber read its frames compressed in enc: gzip
// or deflate (zlib); any other encoding reads them as they are.
func Compressed(enc compress.Encoding) SubscribeOption {
	return func(o *subscribeOptions) {
		if enc.Deflated() {
			o.enc = enc
		}
	}
}

// zroom is the room left before a frame's compressed body for the id line
// as a stored block.
const zroom = idReserve + 5

// compressBody compresses the frame encode made in buf (without a
// publisher id, after idReserve free bytes for the id line),
// without its id line when it has none yet, outside the lock; compressed
// says whether it did (some subscriber reads compressed).
func (h *Hub) compressBody(buf []byte, pubID string) (z []byte, body compress.Deflated, compressed bool) {
	if h.zreaders.Load() == 0 {
		return nil, body, false
	}
	start := 0
	if pubID == "" {
		start = idReserve
	}
	z, body = compress.DeflateFrame(make([]byte, zroom, zroom+len(buf)/2+64), buf[start:])
	return z, body, true
}

// finishCompressed makes the compressed form of a frame whose body
// compressBody compressed into z: plain is the whole frame, whose id line
// goes before the body's blocks when the body lacks it.
func finishCompressed(z []byte, body compress.Deflated, plain []byte) *zframe {
	start, d := zroom, body
	if idLine := len(plain) - int(body.Len); idLine > 0 {
		start, d = compress.Prepend(z, zroom, plain[:idLine], body)
	}
	d.Blocks = nil // the frame holds them
	return &zframe{frame: makeFrame(z, start), d: d}
}

// compressFrame compresses a whole frame alone (for frames appended while
// nobody read compressed, resets, frames from the Source).
func compressFrame(f frame) *zframe {
	z, d := compress.DeflateFrame(make([]byte, 0, f.len()/2+64), f.bytes())
	d.Blocks = nil // the frame holds them
	return &zframe{frame: makeFrame(z, 0), d: d}
}

// zframeLocked returns e's compressed form, compressing it now (and
// counting it in t's history) if it has none.
func (h *Hub) zframeLocked(t *topic, e *entry) *zframe {
	if e.z == nil {
		z := compressFrame(e.frame)
		if h.fits(e.frame.len()+z.frame.len()) != nil {
			return z // too large to keep beside the frame: it would be evicted
		}
		e.z = z
		n := e.z.frame.len()
		t.hist.bytes += n
		h.histBytes += n
	}
	return e.z
}

// Encoding returns the encoding the subscriber reads its frames in.
func (s *Subscriber) Encoding() compress.Encoding { return s.z.Encoding() }

// AppendHeader appends to dst what the subscriber's stream starts with in
// its encoding (nothing for identity). Call it from the reading goroutine
// before the first frame.
func (s *Subscriber) AppendHeader(dst []byte) []byte { return s.z.Header(dst) }

// AppendTrailer appends to dst what ends the subscriber's stream cleanly
// in its encoding, after every frame read and appended (nothing for
// identity). Call it from the reading goroutine.
func (s *Subscriber) AppendTrailer(dst []byte) []byte { return s.z.Trailer(dst) }

// AppendFrame appends to dst a frame of the reader's own making (a
// heartbeat, a hint) in the subscriber's encoding, precompressed, and
// accounts for it in the stream. Call it from the reading goroutine.
func (s *Subscriber) AppendFrame(dst []byte, f *compress.Frame) []byte { return s.z.Append(dst, f) }

// Wrote accounts for a frame of the reader's own making that it wrote in
// the subscriber's encoding itself (f.Bytes of it, e.g. as part of a chunk
// made once for many streams). Call it from the reading goroutine.
func (s *Subscriber) Wrote(f *compress.Frame) { s.z.Add(&f.Deflated) }

// AppendPlain is AppendFrame for a frame compressed now, for frames made
// once per stream (its last retry hint).
func (s *Subscriber) AppendPlain(dst, frame []byte) []byte { return s.z.Encode(dst, frame) }
