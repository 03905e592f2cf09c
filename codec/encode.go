package codec

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// DataEncoding says how an Event's Data is written.
type DataEncoding uint8

const (
	// DataText writes Data as UTF-8 text and refuses invalid UTF-8 with
	// ErrInvalidUTF8. This is the default.
	DataText DataEncoding = iota
	// DataBase64 writes Data as one line of standard base64 (RFC 4648 with
	// padding), whatever its bytes; the receiver decodes it (in a browser:
	// atob). Use it for binary payloads.
	DataBase64
)

// Validate reports whether e can be written: ErrInvalidID (CR, LF, NUL or
// invalid UTF-8 in ID), ErrInvalidEvent (CR, LF or invalid UTF-8 in Event),
// ErrInvalidRetry (negative Retry), or nil. It does not check Data.
func (e *Event) Validate() error {
	if !validField(e.ID, true) {
		return ErrInvalidID
	}
	if !validField(e.Event, false) {
		return ErrInvalidEvent
	}
	if e.Retry < 0 {
		return ErrInvalidRetry
	}
	return nil
}

// AppendTo appends e as one frame (ending in a blank line) to dst, with Data
// as UTF-8 text. On error dst is returned unchanged.
func (e *Event) AppendTo(dst []byte) ([]byte, error) {
	return e.AppendWith(dst, DataText)
}

// AppendWith appends e as one frame to dst, writing Data with enc. On error
// dst is returned unchanged.
func (e *Event) AppendWith(dst []byte, enc DataEncoding) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return dst, err
	}
	hasCR := false
	if enc == DataText {
		var valid bool
		if valid, hasCR = scanData(e.Data); !valid {
			return dst, ErrInvalidUTF8
		}
	}
	if e.Comment != "" {
		// A read-only view of the string's bytes: no copy.
		dst = appendLines(dst, ": ", unsafe.Slice(unsafe.StringData(e.Comment), len(e.Comment)))
	}
	if e.ID != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, e.ID...)
		dst = append(dst, '\n')
	}
	if e.Event != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, e.Event...)
		dst = append(dst, '\n')
	}
	if e.Retry > 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, retryMillis(e.Retry), 10)
		dst = append(dst, '\n')
	}
	if len(e.Data) > 0 {
		if enc == DataBase64 {
			dst = append(dst, "data: "...)
			dst = base64.StdEncoding.AppendEncode(dst, e.Data)
			dst = append(dst, '\n')
		} else {
			dst = appendDataLines(dst, e.Data, hasCR)
		}
	}
	return append(dst, '\n'), nil
}

// validField reports whether s is valid UTF-8 without CR or LF (and
// without NUL when noNUL is set).
func validField(s string, noNUL bool) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			ascii = false
		case c == '\r' || c == '\n' || (c == 0 && noNUL):
			return false
		}
	}
	return ascii || utf8.ValidString(s)
}

// scanData reports in one pass whether b is valid UTF-8 and whether it
// holds a CR. ASCII is read 16 bytes at a time: a word has a non-ASCII byte
// when a high bit is set, and a CR when w^0x0D.. has a zero byte.
func scanData(b []byte) (valid, hasCR bool) {
	const (
		high = 0x8080808080808080
		ones = 0x0101010101010101
		cr   = 0x0D0D0D0D0D0D0D0D
	)
	for len(b) >= 16 {
		w0, w1 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		if (w0|w1)&high != 0 {
			break // b still starts on a character boundary
		}
		t0, t1 := w0^cr, w1^cr
		if ((t0-ones)&^t0|(t1-ones)&^t1)&high != 0 {
			return validUTF8(b[16:]), true
		}
		b = b[16:]
	}
	return utf8.Valid(b), bytes.IndexByte(b, '\r') >= 0
}

// validUTF8 is utf8.Valid with a faster path for ASCII: 32 bytes at a time.
func validUTF8(b []byte) bool {
	for len(b) >= 32 {
		w := binary.LittleEndian.Uint64(b) | binary.LittleEndian.Uint64(b[8:]) |
			binary.LittleEndian.Uint64(b[16:]) | binary.LittleEndian.Uint64(b[24:])
		if w&0x8080808080808080 != 0 {
			break // b still starts on a character boundary
		}
		b = b[32:]
	}
	return utf8.Valid(b)
}

// appendDataLines writes data as "data:" lines. When data holds no CR (the
// common case) only LF ends a line, which saves a scan per line.
func appendDataLines(dst, data []byte, hasCR bool) []byte {
	if hasCR {
		return appendLines(dst, "data: ", data)
	}
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			dst = append(dst, "data: "...)
			dst = append(dst, data...)
			return append(dst, '\n')
		}
		dst = append(dst, "data: "...)
		dst = append(dst, data[:i+1]...)
		data = data[i+1:]
	}
}

// retryMillis is d in whole milliseconds, rounded up (d > 0).
func retryMillis(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	return ms
}

// appendLines writes s as one field per line, splitting on LF, CRLF and CR.
// The prefix ends in a space, so a line that starts with a space or colon
// keeps it: the browser strips exactly one space after the colon.
func appendLines(dst []byte, prefix string, s []byte) []byte {
	for {
		i := lineEnd(s)
		dst = append(dst, prefix...)
		dst = append(dst, s[:i]...)
		dst = append(dst, '\n')
		if i == len(s) {
			return dst
		}
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
}

// lineEnd is the index of the first CR or LF in s, or len(s). It uses two
// IndexByte scans (vectorised) rather than a byte loop; the CR scan only
// looks as far as the first LF.
func lineEnd(s []byte) int {
	i := bytes.IndexByte(s, '\n')
	if i < 0 {
		i = len(s)
	}
	if j := bytes.IndexByte(s[:i], '\r'); j >= 0 {
		return j
	}
	return i
}

// An Encoder writes events to an io.Writer, one Write per event. It is not
// safe for concurrent use.
type Encoder struct {
	w   io.Writer
	enc DataEncoding
	buf []byte
}

// EncoderOption configures an Encoder.
type EncoderOption func(*Encoder)

// WithDataEncoding sets how the Encoder writes Data (default DataText).
func WithDataEncoding(enc DataEncoding) EncoderOption {
	return func(e *Encoder) { e.enc = enc }
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer, opts ...EncoderOption) *Encoder {
	e := &Encoder{w: w}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Encode writes ev as one frame with a single Write. If ev is refused
// (ErrInvalidID, ErrInvalidEvent, ErrInvalidRetry, ErrInvalidUTF8) nothing is
// written.
func (e *Encoder) Encode(ev *Event) error {
	var err error
	e.buf, err = ev.AppendWith(e.buf[:0], e.enc)
	if err != nil {
		return err
	}
	_, err = e.w.Write(e.buf)
	return err
}
