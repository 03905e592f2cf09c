package hub

// frame is one encoded event as the hub holds it: its bytes, written as
// they are by any writer. Framing of a transport (an HTTP/1.1 chunk) is
// the writer's: a shared writer frames a whole batch as one chunk. Immutable
// once made.
type frame struct {
	b []byte // capped at its end: an append never writes past it
}

// bytes returns the frame.
func (f frame) bytes() []byte { return f.b }

// len returns the frame's length.
func (f frame) len() int { return len(f.b) }

// newFrameBuf returns an empty buffer for encoding a frame of about size
// bytes after reserve bytes of room (the id line's, for putID).
func newFrameBuf(reserve, size int) []byte {
	return make([]byte, reserve, reserve+size)
}

// makeFrame makes the frame buf[start:].
func makeFrame(buf []byte, start int) frame {
	b := buf[start:]
	return frame{b: b[:len(b):len(b)]}
}
