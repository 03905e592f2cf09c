package hub

import "strconv"

// chunkRoom is the room an encoded frame leaves before itself for its
// HTTP/1.1 chunk size line: up to 8 hex digits (a frame under 4 GiB) and
// CRLF.
const chunkRoom = 10

// frame is one encoded event as the hub holds it: its bytes, written as
// they are by any writer, inside the same bytes as one HTTP/1.1 chunk (the
// size line before them, CRLF after), which the shared writers of chunked
// responses write as they are (ReadChunks): one slice, so one iovec, per
// frame, and no chunk framing of their own. Immutable once made.
type frame struct {
	chunk []byte // size line, frame, CRLF
	head  int    // the size line's length: the frame starts there
}

// bytes returns the frame itself (capped at its end, so that an append
// never writes over the chunk's CRLF).
func (f frame) bytes() []byte {
	end := len(f.chunk) - len("\r\n")
	return f.chunk[f.head:end:end]
}

// len returns the frame's length (without the chunk framing).
func (f frame) len() int { return len(f.chunk) - f.head - len("\r\n") }

// newFrameBuf returns an empty buffer for encoding a frame of about size
// bytes after reserve bytes of room (the id line's, for putID), with the
// chunk framing's room before and after it.
func newFrameBuf(reserve, size int) []byte {
	return make([]byte, chunkRoom+reserve, chunkRoom+reserve+size+len("\r\n"))
}

// makeFrame makes the frame buf[start:], whose chunk size line fits in
// buf[:start] (start >= chunkRoom: buf came from newFrameBuf, or has that
// room), writing the size line before it and CRLF after it.
func makeFrame(buf []byte, start int) frame {
	var hb [chunkRoom]byte
	head := strconv.AppendInt(hb[:0], int64(len(buf)-start), 16)
	head = append(head, "\r\n"...)
	copy(buf[start-len(head):], head)
	buf = append(buf, "\r\n"...)
	return frame{chunk: buf[start-len(head):], head: len(head)}
}
