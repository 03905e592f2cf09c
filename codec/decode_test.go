package codec

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// readers are the ways a stream may arrive: whole, a byte at a time, with
// the final error on the last data, and in 3-byte pieces (so that CRLF and
// the BOM split across reads).
var readers = map[string]func(io.Reader) io.Reader{
	"whole":   func(r io.Reader) io.Reader { return r },
	"onebyte": iotest.OneByteReader,
	"dataerr": iotest.DataErrReader,
	"halves":  func(r io.Reader) io.Reader { return &chunkReader{r: r, n: 3} },
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// decodeAll decodes every event of in until an error; io.EOF is reported as
// nil.
func decodeAll(r io.Reader, opts ...DecoderOption) ([]Event, *Decoder, error) {
	d := NewDecoder(r, opts...)
	var evs []Event
	for range 1 << 20 {
		ev, err := d.Decode()
		if err == io.EOF {
			return evs, d, nil
		}
		if err != nil {
			return evs, d, err
		}
		evs = append(evs, *ev)
	}
	panic("decodeAll: no end")
}

// checkDecode decodes in through every kind of reader and compares with
// want, and with the reference transcription of the standard.
func checkDecode(t *testing.T, in string, want []Event, wantLastID string) {
	t.Helper()
	ref := refDecode([]byte(in))
	if !eventsEqual(ref.events, want) || ref.lastID != wantLastID {
		t.Fatalf("reference decoder disagrees with the test for %q:\n got %+v last id %q\nwant %+v last id %q",
			in, ref.events, ref.lastID, want, wantLastID)
	}
	for name, wrap := range readers {
		got, d, err := decodeAll(wrap(strings.NewReader(in)))
		if err != nil {
			t.Fatalf("%s: %q: %v", name, in, err)
		}
		if !eventsEqual(got, want) {
			t.Errorf("%s: %q:\n got %s\nwant %s", name, in, dumpEvents(got), dumpEvents(want))
		}
		if d.LastEventID() != wantLastID {
			t.Errorf("%s: %q: LastEventID = %q, want %q", name, in, d.LastEventID(), wantLastID)
		}
	}
}

func eventsEqual(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Event != b[i].Event || !bytes.Equal(a[i].Data, b[i].Data) ||
			a[i].Retry != b[i].Retry || a[i].Comment != b[i].Comment {
			return false
		}
	}
	return true
}

func dumpEvents(evs []Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString("{id=" + strq(e.ID) + " event=" + strq(e.Event) + " data=" + strq(string(e.Data)) +
			" retry=" + e.Retry.String() + "} ")
	}
	return b.String()
}

func strq(s string) string { return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"` }

func ev(id, typ, data string) Event { return Event{ID: id, Event: typ, Data: []byte(data)} }

// The examples of the HTML standard, section "Server-sent events".
func TestDecodeSpecExamples(t *testing.T) {
	t.Run("stock", func(t *testing.T) {
		// "The following event stream, once followed by a blank line ..."
		checkDecode(t, "data: YHOO\ndata: +2\ndata: 10\n\n", []Event{ev("", "", "YHOO\n+2\n10")}, "")
	})
	t.Run("four blocks", func(t *testing.T) {
		// A comment block (nothing fired); "first event" with id 1;
		// "second event" with the id reset by a bare "id" line; " third
		// event" with one leading space kept.
		in := ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"
		checkDecode(t, in, []Event{ev("1", "", "first event"), ev("", "", "second event"), ev("", "", " third event")}, "")
	})
	t.Run("empty data", func(t *testing.T) {
		// "data" fires an event with empty data, "data\ndata" one with a
		// single newline, and the last block, without a blank line after it,
		// is discarded.
		checkDecode(t, "data\n\ndata\ndata\n\ndata:", []Event{ev("", "", ""), ev("", "", "\n")}, "")
	})
	t.Run("two identical", func(t *testing.T) {
		// "data:test" and "data: test" fire identical events.
		checkDecode(t, "data:test\n\ndata: test\n\n", []Event{ev("", "", "test"), ev("", "", "test")}, "")
	})
	t.Run("event types", func(t *testing.T) {
		in := "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"
		checkDecode(t, in, []Event{ev("", "add", "73857293"), ev("", "remove", "2153"), ev("", "add", "113411")}, "")
	})
	t.Run("blank data line inside", func(t *testing.T) {
		checkDecode(t, "data: test\ndata:\ndata: test\n\n", []Event{ev("", "", "test\n\ntest")}, "")
	})
}

func TestDecodeRules(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		want   []Event
		lastID string
	}{
		{"BOM skipped", "\xEF\xBB\xBFdata: x\n\n", []Event{ev("", "", "x")}, ""},
		{"only one BOM skipped", "\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n", []Event{ev("", "", "y")}, ""},
		{"BOM later is data", "data: \xEF\xBB\xBFx\n\n", []Event{ev("", "", "\uFEFFx")}, ""},
		{"LF", "data: a\ndata: b\n\n", []Event{ev("", "", "a\nb")}, ""},
		{"CRLF", "data: a\r\ndata: b\r\n\r\n", []Event{ev("", "", "a\nb")}, ""},
		{"CR", "data: a\rdata: b\r\r", []Event{ev("", "", "a\nb")}, ""},
		{"mixed", "data: a\r\ndata: b\rdata: c\n\r\n", []Event{ev("", "", "a\nb\nc")}, ""},
		{"LF CR is two line ends", "data: a\n\rdata: b\n\n", []Event{ev("", "", "a"), ev("", "", "b")}, ""},
		{"CR CR LF", "data: a\r\r\ndata: b\n\n", []Event{ev("", "", "a"), ev("", "", "b")}, ""},
		{"field without colon", "data\n\n", []Event{ev("", "", "")}, ""},
		{"event without colon resets type", "event: x\nevent\ndata: a\n\n", []Event{ev("", "", "a")}, ""},
		{"one space stripped", "data:  a \n\n", []Event{ev("", "", " a ")}, ""},
		{"tab not stripped", "data:\ta\n\n", []Event{ev("", "", "\ta")}, ""},
		{"colon in value", "data: a: b\n\n", []Event{ev("", "", "a: b")}, ""},
		{"value starting with colon", "data::a\n\n", []Event{ev("", "", ":a")}, ""},
		{"comment", ": hi\ndata: a\n:\n\n", []Event{ev("", "", "a")}, ""},
		{"unknown fields ignored", "foo: bar\nData: x\nDATA\n data: y\ndata : z\ndata: a\n\n", []Event{ev("", "", "a")}, ""},
		{"id", "id: 1\ndata: a\n\n", []Event{ev("1", "", "a")}, "1"},
		{"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", []Event{ev("1", "", "a"), ev("1", "", "b")}, "1"},
		{"id carried forward", "id: 7\ndata: a\n\ndata: b\n\nevent: t\ndata: c\n\n", []Event{ev("7", "", "a"), ev("7", "", "b"), ev("7", "t", "c")}, "7"},
		{"bare id resets", "id: 7\ndata: a\n\nid\ndata: b\n\n", []Event{ev("7", "", "a"), ev("", "", "b")}, ""},
		{"id without data still sets last id", "id: 3\n\ndata: a\n\n", []Event{ev("3", "", "a")}, "3"},
		{"last id of an event wins", "id: 1\nid: 2\ndata: a\n\n", []Event{ev("2", "", "a")}, "2"},
		{"id of unterminated event not in force", "id: 1\ndata: a\n\nid: 2\ndata: b\n", []Event{ev("1", "", "a")}, "1"},
		{"type reset after event", "event: t\ndata: a\n\ndata: b\n\n", []Event{ev("", "t", "a"), ev("", "", "b")}, ""},
		{"type reset by event without data", "event: t\n\ndata: b\n\n", []Event{ev("", "", "b")}, ""},
		{"unterminated last event dropped", "data: a\n\ndata: b\n", []Event{ev("", "", "a")}, ""},
		{"unterminated last line dropped", "data: a\n\ndata: b", []Event{ev("", "", "a")}, ""},
		{"blank lines alone", "\n\n\r\n\r", nil, ""},
		{"empty stream", "", nil, ""},
		{"NUL in data kept", "data: a\x00b\n\n", []Event{ev("", "", "a\x00b")}, ""},
		{"invalid UTF-8", "data: a\xF1\x80\x80\xE1\x80\xC2b\x80c\x80\xBFd\n\n",
			[]Event{ev("", "", "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd")}, ""},
		{"invalid UTF-8 in id and type", "id: \xFF\nevent: \xC0\xAF\ndata: x\n\n", []Event{ev("\uFFFD", "\uFFFD\uFFFD", "x")}, "\uFFFD"},
		{"surrogate", "data: \xED\xA0\x80\n\n", []Event{ev("", "", "\uFFFD\uFFFD\uFFFD")}, ""},
		{"truncated sequence", "data: \xF0\x90\x80\n\n", []Event{ev("", "", "\uFFFD")}, ""},
		{"over U+10FFFF", "data: \xF4\x90\x80\x80\n\n", []Event{ev("", "", "\uFFFD\uFFFD\uFFFD\uFFFD")}, ""},
		{"overlong", "data: \xE0\x80\xAF\n\n", []Event{ev("", "", "\uFFFD\uFFFD\uFFFD")}, ""},
		{"valid multibyte", "data: é€😀\n\n", []Event{ev("", "", "é€😀")}, ""},
		{"invalid field name", "dat\xE1: x\ndata: y\n\n", []Event{ev("", "", "y")}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkDecode(t, c.in, c.want, c.lastID) })
	}
}

func TestDecodeRetry(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration // 0: ignored
	}{
		{"retry: 1500", 1500 * time.Millisecond},
		{"retry:0", 0},
		{"retry: 007", 7 * time.Millisecond},
		{"retry: 15a0", 0},
		{"retry: -1", 0},
		{"retry: +1", 0},
		{"retry: 1.5", 0},
		{"retry:  100", 0}, // the second space is part of the value
		{"retry: 100 ", 0},
		{"retry: ", 0},
		{"retry", 0},
		{"retry: ١٢", 0}, // not ASCII digits
		{"retry: 99999999999999999999999", time.Duration(1<<63 - 1).Truncate(time.Millisecond)},
	}
	for _, c := range cases {
		for name, wrap := range readers {
			in := "retry: 5\n" + c.in + "\ndata: x\n\n"
			got, d, err := decodeAll(wrap(strings.NewReader(in)))
			if err != nil || len(got) != 1 {
				t.Fatalf("%s %q: %v %v", name, in, got, err)
			}
			want := c.want
			if c.in != "retry:0" && want == 0 {
				want = 5 * time.Millisecond // the invalid line changed nothing
			}
			if got[0].Retry != want || d.Retry() != want {
				t.Errorf("%s %q: event retry %v, decoder retry %v, want %v", name, c.in, got[0].Retry, d.Retry(), want)
			}
		}
	}
	// Retry takes effect at once, even in an event that is never dispatched,
	// and is reported only on the event it came with.
	_, d, _ := decodeAll(strings.NewReader("retry: 300\n\ndata: a\n\nretry: 400\ndata: b"))
	if d.Retry() != 400*time.Millisecond {
		t.Errorf("Retry() = %v, want 400ms", d.Retry())
	}
	evs, _, _ := decodeAll(strings.NewReader("retry: 300\ndata: a\n\ndata: b\n\n"))
	if len(evs) != 2 || evs[0].Retry != 300*time.Millisecond || evs[1].Retry != 0 {
		t.Errorf("events %s", dumpEvents(evs))
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// repeatReader repeats s forever.
type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

// checkHeld fails if d holds more than its bounds allow.
func checkHeld(t testing.TB, d *Decoder) {
	t.Helper()
	if len(d.buf) > 4096 || cap(d.line) > d.maxLine || cap(d.data) > d.maxEvent {
		t.Fatalf("decoder holds buf %d, line %d (max %d), data %d (max %d)",
			len(d.buf), cap(d.line), d.maxLine, cap(d.data), d.maxEvent)
	}
}

func TestDecodeLineTooLong(t *testing.T) {
	for _, max := range []int{1, 10, 4095, 4096, 4097, 100_000} {
		// A line of exactly max bytes is fine, one more is refused.
		okLine := "data"[:min(max, 4)]
		if max >= 5 {
			okLine = "data:" + strings.Repeat("x", max-5)
		}
		for name, wrap := range readers {
			evs, d, err := decodeAll(wrap(strings.NewReader(okLine+"\n\n")), MaxLineBytes(max))
			if err != nil {
				t.Fatalf("max %d %s: line of max bytes: %v", max, name, err)
			}
			checkHeld(t, d)
			if max >= 4 && len(evs) != 1 {
				t.Fatalf("max %d %s: got %d events", max, name, len(evs))
			}
			_, d, err = decodeAll(wrap(strings.NewReader(okLine+"y\r\n\r\n")), MaxLineBytes(max))
			if !errors.Is(err, ErrLineTooLong) {
				t.Fatalf("max %d %s: line of max+1 bytes: %v", max, name, err)
			}
			checkHeld(t, d)
		}
	}

	// An endless line: the decoder stops after reading about its bound, holds
	// no more than the bound, and keeps failing (the rest of the line must
	// not be parsed as new fields).
	cr := &countingReader{r: &repeatReader{s: "data: id: evil xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}
	d := NewDecoder(cr, MaxLineBytes(64<<10))
	if _, err := d.Decode(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("endless line: %v", err)
	}
	if cr.n > 64<<10+2*4096 {
		t.Errorf("read %d bytes for a 64 KiB line bound", cr.n)
	}
	checkHeld(t, d)
	before := cr.n
	for range 3 {
		if _, err := d.Decode(); !errors.Is(err, ErrLineTooLong) {
			t.Fatalf("after the error: %v", err)
		}
	}
	if cr.n != before {
		t.Errorf("read on after a final error")
	}
}

func TestDecodeEventTooLarge(t *testing.T) {
	// 10 data lines of 9 bytes + LF = 100 bytes of data: fits 100, not 99.
	in := strings.Repeat("data: 123456789\n", 10) + "\n"
	evs, _, err := decodeAll(strings.NewReader(in), MaxEventBytes(100))
	if err != nil || len(evs) != 1 || len(evs[0].Data) != 99 {
		t.Fatalf("event at the bound: %v %v", dumpEvents(evs), err)
	}
	_, d, err := decodeAll(strings.NewReader(in), MaxEventBytes(99))
	if !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("event past the bound: %v", err)
	}
	if _, err := d.Decode(); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("error is not final: %v", err)
	}

	// The bound counts the data after U+FFFD replacement (1 byte -> 3).
	_, _, err = decodeAll(strings.NewReader("data: \xFF\xFF\xFF\xFF\n\n"), MaxEventBytes(12))
	if !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("replacement not counted: %v", err)
	}
	evs, _, err = decodeAll(strings.NewReader("data: \xFF\xFF\xFF\xFF\n\n"), MaxEventBytes(13))
	if err != nil || len(evs) != 1 {
		t.Fatalf("replacement at the bound: %v", err)
	}

	// An endless event of short lines: bounded by MaxEventBytes.
	cr := &countingReader{r: &repeatReader{s: "data: 0123456789abcdef\n"}}
	d = NewDecoder(cr, MaxEventBytes(1<<20))
	if _, err := d.Decode(); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("endless event: %v", err)
	}
	checkHeld(t, d)
	if cr.n > 1<<20*24/17+4096 {
		t.Errorf("read %d bytes for a 1 MiB event bound", cr.n)
	}
}

func TestDecodeEndlessCommentsHoldNothing(t *testing.T) {
	cr := &countingReader{r: &repeatReader{s: ": keep-alive\nfoo: bar\nid: 1\nevent: x\n"}}
	d := NewDecoder(io.LimitReader(cr, 8<<20), MaxLineBytes(100), MaxEventBytes(100))
	if _, err := d.Decode(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
	checkHeld(t, d)
	if cap(d.line) > 100 || cap(d.data) != 0 {
		t.Errorf("held line %d data %d", cap(d.line), cap(d.data))
	}
}

// errReader fails after its data.
type errReader struct {
	data string
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.data == "" {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("boom")
	d := NewDecoder(&errReader{data: "data: a\n\ndata: b\n", err: boom})
	if e, err := d.Decode(); err != nil || string(e.Data) != "a" {
		t.Fatalf("first: %v %v", e, err)
	}
	if _, err := d.Decode(); err != boom {
		t.Fatalf("got %v, want the read error", err)
	}
	if _, err := d.Decode(); err != boom {
		t.Fatalf("again: got %v, want the read error", err)
	}
}

func TestDecodeDataNotShared(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: aaaa\n\ndata: bbbb\n\n"))
	a, _ := d.Decode()
	b, _ := d.Decode()
	if string(a.Data) != "aaaa" || string(b.Data) != "bbbb" {
		t.Fatalf("events share memory: %q %q", a.Data, b.Data)
	}
}

func TestValidUTF8MatchesWHATWG(t *testing.T) {
	in := []string{
		"", "abc", "\x80", "\xC2", "\xC2\x80", "\xE0\x80\x80", "\xE0\xA0", "\xED\x9F\xBF", "\xED\xA0\x80",
		"\xF0\x8F\xBF\xBF", "\xF0\x90\x80", "\xF4\x8F\xBF\xBF", "\xF4\x90", "\xF5\x80", "\xFF\xFE",
		"\xE1\x80\xC2\x80", "a\xF1\x80\x80\xE1\x80\xC2b\x80c\x80\xBFd",
	}
	for _, s := range in {
		want := refUTF8Decode([]byte("x" + s))[1:]
		if got := string(appendValidUTF8(nil, []byte(s))); got != want {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
		if n := validUTF8Len([]byte(s)); n != len(want) {
			t.Errorf("%q: validUTF8Len %d, want %d", s, n, len(want))
		}
	}
}
