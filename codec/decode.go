package codec

import (
	"bytes"
	"io"
	"time"
	"unicode/utf8"
)

// Default bounds of a Decoder.
const (
	// DefaultMaxLineBytes bounds one line of the stream.
	DefaultMaxLineBytes = 1 << 20
	// DefaultMaxEventBytes bounds the data of one event.
	DefaultMaxEventBytes = 4 << 20
)

// A Decoder reads events from a text/event-stream, following the HTML
// standard's "Interpreting an event stream": an optional leading BOM is
// skipped; lines end in CRLF, LF or CR; a line without a colon is a field
// with an empty value; one space after the colon is stripped; unknown fields
// and comments are ignored; an id containing NUL is ignored; retry is used
// only when it is all ASCII digits; the last event id carries forward to
// later events; bytes that are not UTF-8 become U+FFFD; an event that is not
// ended by a blank line before the stream ends is never returned.
//
// Memory is bounded: a line longer than MaxLineBytes gives ErrLineTooLong,
// event data longer than MaxEventBytes (counted after U+FFFD replacement)
// gives ErrEventTooLarge. Both errors are final: the stream can no longer be
// split into lines the way a browser would, so every later Decode returns
// the same error. A Decoder holds at most its read buffer (4 KiB, or
// MaxLineBytes+1 if smaller), one line and one event's data. A Decoder is
// not safe for concurrent use.
type Decoder struct {
	r        io.Reader
	buf      []byte // read buffer; buf[start:end] is unread
	start    int
	end      int
	err      error // sticky read error
	skipLF   bool  // the last line ended in CR: a following LF belongs to it
	begun    bool  // the BOM check is done
	maxLine  int
	maxEvent int

	lastID   string // the last event ID string: set when an event ends
	lastType string // the last event type seen, reused while it repeats
	idBuf    string // the last event ID buffer: set by an id field
	retry    time.Duration
	fatal    error  // ErrLineTooLong or ErrEventTooLarge, returned forever
	line     []byte // a line spanning buffer refills
	data     []byte
	event    string
	hasData  bool
	evRetry  time.Duration

	// whole makes every blank line return an event, with or without data,
	// and keeps comments (for Unmarshal, which reads one frame as written).
	whole   bool
	comment []byte
}

// DecoderOption configures a Decoder.
type DecoderOption func(*Decoder)

// MaxLineBytes bounds the length of one line, without its line end
// (default DefaultMaxLineBytes; n <= 0 means the default).
func MaxLineBytes(n int) DecoderOption { return func(d *Decoder) { d.maxLine = n } }

// MaxEventBytes bounds the data of one event, counted with one LF per data
// line (default DefaultMaxEventBytes; n <= 0 means the default).
func MaxEventBytes(n int) DecoderOption { return func(d *Decoder) { d.maxEvent = n } }

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader, opts ...DecoderOption) *Decoder {
	d := &Decoder{r: r, maxLine: DefaultMaxLineBytes, maxEvent: DefaultMaxEventBytes}
	for _, o := range opts {
		o(d)
	}
	if d.maxLine <= 0 {
		d.maxLine = DefaultMaxLineBytes
	}
	if d.maxEvent <= 0 {
		d.maxEvent = DefaultMaxEventBytes
	}
	size := 4096
	if d.maxLine+1 < size {
		size = max(d.maxLine+1, len(bom))
	}
	d.buf = make([]byte, size)
	return d
}

// LastEventID is the id a browser would send as Last-Event-ID if it
// reconnected now: the last id field in force at the last blank line read
// (an id in an event that is not yet ended by a blank line does not count).
func (d *Decoder) LastEventID() string { return d.lastID }

// Retry is the reconnection time set by the last valid retry field, or 0.
func (d *Decoder) Retry() time.Duration { return d.retry }

// Decode returns the next event a browser would dispatch. The event's ID is
// the last event id in force (carried forward), Event is the type ("" for the
// default "message"), Data has the lines joined by LF, and Retry is the
// last valid retry field seen since the previous event (0 if none). Comments
// are not returned. At the end of the stream Decode returns io.EOF (an
// unterminated last event is dropped, as browsers do); a read error is
// returned as is.
func (d *Decoder) Decode() (*Event, error) {
	if d.fatal != nil {
		return nil, d.fatal
	}
	for {
		line, err := d.readLine()
		if err != nil {
			d.resetEvent()
			if err == ErrLineTooLong {
				d.fatal = err
			}
			return nil, err
		}
		if len(line) == 0 {
			if ev := d.dispatch(); ev != nil {
				return ev, nil
			}
			continue
		}
		if err := d.field(line); err != nil {
			d.resetEvent()
			d.fatal = err
			return nil, err
		}
	}
}

func (d *Decoder) resetEvent() {
	d.data = d.data[:0]
	d.hasData = false
	d.comment = d.comment[:0]
	d.event = ""
	d.evRetry = 0
}

// dispatch ends the current event: nil if the browser would not dispatch it.
// Either way the last event ID string takes the buffer's value.
func (d *Decoder) dispatch() *Event {
	defer d.resetEvent()
	d.lastID = d.idBuf
	if !d.hasData && !d.whole {
		return nil
	}
	data := d.data
	if n := len(data); n > 0 && data[n-1] == '\n' {
		data = data[:n-1]
	}
	ev := &Event{ID: d.lastID, Event: d.event, Data: bytes.Clone(data), Retry: d.evRetry}
	if d.whole {
		ev.Comment = string(d.comment)
	}
	return ev
}

// field processes one non-empty line.
func (d *Decoder) field(line []byte) error {
	if line[0] == ':' {
		if d.whole {
			if len(d.comment) > 0 {
				d.comment = append(d.comment, '\n')
			}
			d.comment = appendValidUTF8(d.comment, bytes.TrimPrefix(line[1:], []byte(" ")))
		}
		return nil
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		valid := validUTF8(value)
		n := len(value) + 1
		if !valid {
			n = validUTF8Len(value) + 1
		}
		if len(d.data)+n > d.maxEvent {
			return ErrEventTooLarge
		}
		d.data = grow(d.data, n, d.maxEvent)
		if valid {
			d.data = append(d.data, value...)
		} else {
			d.data = appendValidUTF8(d.data, value)
		}
		d.data = append(d.data, '\n')
		d.hasData = true
	case "event":
		if string(value) != d.lastType { // no allocation for a repeated type
			d.lastType = validString(value)
		}
		d.event = d.lastType
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			if string(value) != d.idBuf {
				d.idBuf = validString(value)
			}
		}
	case "retry":
		if ms, ok := parseDigits(value); ok {
			d.retry = ms
			d.evRetry = ms
		}
	}
	return nil
}

// parseDigits reads a base-ten count of milliseconds made only of ASCII
// digits; values too large for a Duration saturate.
func parseDigits(b []byte) (time.Duration, bool) {
	if len(b) == 0 {
		return 0, false
	}
	const max = int64(1<<63-1) / int64(time.Millisecond)
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= max {
			n = n*10 + int64(c-'0')
		}
	}
	if n > max {
		n = max
	}
	return time.Duration(n) * time.Millisecond, true
}

// appendValidUTF8 appends b to dst, replacing each maximal ill-formed
// subsequence with U+FFFD as the WHATWG UTF-8 decoder does.
func appendValidUTF8(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			dst = append(dst, b[:size]...)
			b = b[size:]
			continue
		}
		dst = append(dst, "\uFFFD"...)
		b = b[maximalSubpart(b):]
	}
	return dst
}

// validString is b as a string, ill-formed UTF-8 replaced as by
// appendValidUTF8.
func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendValidUTF8(nil, b))
}

// validUTF8Len is len(appendValidUTF8(nil, b)), without allocating.
func validUTF8Len(b []byte) int {
	if utf8.Valid(b) {
		return len(b)
	}
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			n += size
			b = b[size:]
			continue
		}
		n += len("\uFFFD")
		b = b[maximalSubpart(b):]
	}
	return n
}

// maximalSubpart is the length of the ill-formed sequence at the start of b
// that the WHATWG decoder turns into one U+FFFD: a lead byte and the
// continuation bytes that still fit it.
func maximalSubpart(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c >= 0xE0 && c <= 0xEF:
		need = 2
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	case c >= 0xF0 && c <= 0xF4:
		need = 3
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}

// grow makes room for n more bytes in b, doubling as append does but never
// past limit (the caller has checked that len(b)+n <= limit), so that what a
// Decoder holds stays within its bounds.
func grow(b []byte, n, limit int) []byte {
	need := len(b) + n
	if need <= cap(b) {
		return b
	}
	c := min(max(2*cap(b), need, 512), max(limit, need))
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// bom is UTF-8's byte order mark.
var bom = []byte("\xEF\xBB\xBF")

// readLine returns the next line without its terminator. The slice is valid
// until the next call.
func (d *Decoder) readLine() ([]byte, error) {
	d.line = d.line[:0]
	spanning := false
	for {
		if !d.begun {
			// The stream may start with one BOM, which is skipped.
			for d.end-d.start < len(bom) && d.err == nil {
				_ = d.fill()
			}
			d.begun = true
			if bytes.HasPrefix(d.buf[d.start:d.end], bom) {
				d.start += len(bom)
			}
		}
		if d.start == d.end {
			if err := d.fill(); err != nil {
				return nil, err
			}
			continue
		}
		chunk := d.buf[d.start:d.end]
		if d.skipLF {
			d.skipLF = false
			if chunk[0] == '\n' {
				d.start++
				continue
			}
		}
		i := lineEnd(chunk)
		if i == len(chunk) {
			if len(d.line)+len(chunk) > d.maxLine {
				return nil, ErrLineTooLong
			}
			d.line = append(grow(d.line, len(chunk), d.maxLine), chunk...)
			spanning = true
			d.start = d.end
			continue
		}
		if len(d.line)+i > d.maxLine {
			return nil, ErrLineTooLong
		}
		d.skipLF = chunk[i] == '\r'
		d.start += i + 1
		if !spanning {
			return chunk[:i], nil
		}
		d.line = append(grow(d.line, i, d.maxLine), chunk[:i]...)
		return d.line, nil
	}
}

// fill reads more bytes into the buffer, keeping what is unread.
func (d *Decoder) fill() error {
	if d.err != nil {
		return d.err
	}
	if d.start > 0 {
		d.end = copy(d.buf, d.buf[d.start:d.end])
		d.start = 0
	}
	if d.end == len(d.buf) {
		return nil
	}
	n, err := d.r.Read(d.buf[d.end:])
	d.end += n
	if err != nil {
		d.err = err
		if n == 0 {
			return err
		}
	}
	return nil
}
