package compress

import "encoding/binary"

// gzipHeader is the gzip member header (RFC 1952): magic, method deflate,
// no flags, no modification time, no extra flags, OS unknown.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// zlibHeader is the zlib header (RFC 1950): deflate with a 32 KiB window,
// default level, no dictionary; 0x789c is a multiple of 31 as FCHECK wants.
var zlibHeader = []byte{0x78, 0x9c}

// finalBlock is an empty final deflate block (fixed Huffman codes: BFINAL
// 1, BTYPE 01, then the end-of-block code), which closes a deflate body
// that so far ended on a byte boundary.
var finalBlock = []byte{0x03, 0x00}

// Stream is what one connection keeps to write a stream in its encoding:
// for gzip and zlib the running checksum and length of what it wrote (12
// bytes), for zstd and identity nothing. Its zero value is an identity
// stream. A Stream is used by one goroutine at a time.
type Stream struct {
	sum uint32 // CRC-32 (gzip) or Adler-32 (zlib) of the frames written
	n   uint32 // their length modulo 2^32
	enc Encoding
}

// NewStream returns the state of a stream written in enc.
func NewStream(enc Encoding) Stream {
	s := Stream{enc: enc}
	if enc == Deflate {
		s.sum = 1 // Adler-32 of nothing
	}
	return s
}

// Encoding returns the stream's encoding.
func (s *Stream) Encoding() Encoding { return s.enc }

// Header appends to dst what the stream starts with (the gzip or zlib
// header; nothing for zstd and identity).
func (s *Stream) Header(dst []byte) []byte {
	switch s.enc {
	case Gzip:
		return append(dst, gzipHeader...)
	case Deflate:
		return append(dst, zlibHeader...)
	}
	return dst
}

// Add accounts for a deflated frame the stream writes (its Blocks, written
// by the caller as they are). Only gzip and zlib streams need it; for
// others it does nothing.
func (s *Stream) Add(d *Deflated) {
	switch s.enc {
	case Gzip:
		s.sum = crc32Combine(s.sum, d.CRC, d.shift)
	case Deflate:
		s.sum = adler32Combine(s.sum, d.Adler, uint64(d.Len))
	default:
		return
	}
	s.n += d.Len
}

// Trailer appends to dst what ends the stream cleanly: for gzip and zlib
// the final empty block and the checksum of everything added (and, for
// gzip, its length); nothing for zstd and identity. A stream cut without
// its trailer still decodes to every frame written whole in browsers and
// curl; Go's readers report io.ErrUnexpectedEOF after them.
func (s *Stream) Trailer(dst []byte) []byte {
	switch s.enc {
	case Gzip:
		dst = append(dst, finalBlock...)
		dst = binary.LittleEndian.AppendUint32(dst, s.sum)
		return binary.LittleEndian.AppendUint32(dst, s.n)
	case Deflate:
		dst = append(dst, finalBlock...)
		return binary.BigEndian.AppendUint32(dst, s.sum)
	}
	return dst
}

// Append appends to dst what the stream writes for f, accounting for it
// (Add).
func (s *Stream) Append(dst []byte, f *Frame) []byte {
	s.Add(&f.Deflated)
	return append(dst, f.Bytes(s.enc)...)
}

// Encode appends plain compressed alone in the stream's encoding (as it is
// for identity), accounting for it: for a frame written once.
func (s *Stream) Encode(dst, plain []byte) []byte {
	switch {
	case s.enc.Deflated():
		out, d := DeflateFrame(dst, plain)
		s.Add(&d)
		return out
	case s.enc == Zstd:
		return zstdEncoder().EncodeAll(plain, dst)
	}
	return append(dst, plain...)
}
