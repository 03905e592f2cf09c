package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEncodeFrames(t *testing.T) {
	cases := []struct {
		name string
		ev   Event
		want string
	}{
		{"data", Event{Data: []byte("hello")}, "data: hello\n\n"},
		{"all fields", Event{ID: "42", Event: "add", Data: []byte("x"), Retry: 1500 * time.Millisecond, Comment: "c"},
			": c\nid: 42\nevent: add\nretry: 1500\ndata: x\n\n"},
		{"LF", Event{Data: []byte("a\nb")}, "data: a\ndata: b\n\n"},
		{"CRLF", Event{Data: []byte("a\r\nb")}, "data: a\ndata: b\n\n"},
		{"CR", Event{Data: []byte("a\rb")}, "data: a\ndata: b\n\n"},
		{"CR CR LF", Event{Data: []byte("a\r\r\nb")}, "data: a\ndata: \ndata: b\n\n"},
		{"LF CR", Event{Data: []byte("a\n\rb")}, "data: a\ndata: \ndata: b\n\n"},
		{"trailing LF", Event{Data: []byte("a\n")}, "data: a\ndata: \n\n"},
		{"only LF", Event{Data: []byte("\n")}, "data: \ndata: \n\n"},
		{"blank line inside", Event{Data: []byte("test\n\ntest")}, "data: test\ndata: \ndata: test\n\n"},
		{"leading space kept", Event{Data: []byte(" a\n  b")}, "data:  a\ndata:   b\n\n"},
		{"leading colon kept", Event{Data: []byte(":a\n: b")}, "data: :a\ndata: : b\n\n"},
		{"id with space and colon", Event{ID: " :1", Data: []byte("x")}, "id:  :1\ndata: x\n\n"},
		{"type with leading space", Event{Event: " t", Data: []byte("x")}, "event:  t\ndata: x\n\n"},
		{"empty data: no data line", Event{ID: "1"}, "id: 1\n\n"},
		{"only id", Event{ID: "1"}, "id: 1\n\n"},
		{"only type", Event{Event: "ping"}, "event: ping\n\n"},
		{"only comment", Event{Comment: "keep-alive"}, ": keep-alive\n\n"},
		{"multi-line comment", Event{Comment: "a\r\nb\rc\n"}, ": a\n: b\n: c\n: \n\n"},
		{"only retry", Event{Retry: 3 * time.Second}, "retry: 3000\n\n"},
		{"zero event", Event{}, "\n"},
		{"retry rounded up", Event{Retry: 1500*time.Microsecond + 1}, "retry: 2\n\n"},
		{"retry 1ns", Event{Retry: 1}, "retry: 1\n\n"},
		{"retry max", Event{Retry: 1<<63 - 1}, "retry: 9223372036855\n\n"},
		{"NUL in data", Event{Data: []byte("a\x00b")}, "data: a\x00b\n\n"},
		{"NUL in type", Event{Event: "a\x00", Data: []byte("x")}, "event: a\x00\ndata: x\n\n"},
		{"unicode", Event{ID: "é", Event: "€", Data: []byte("😀")}, "id: é\nevent: €\ndata: 😀\n\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte("kept")
			got, err := c.ev.AppendTo(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "kept"+c.want {
				t.Fatalf("got %q, want %q", got[4:], c.want)
			}
			var buf bytes.Buffer
			if err := NewEncoder(&buf).Encode(&c.ev); err != nil || buf.String() != c.want {
				t.Fatalf("Encoder: %q %v", buf.String(), err)
			}
			// What a browser makes of the frame: the reference parser.
			r := refDecode([]byte(c.want))
			if len(c.ev.Data) == 0 {
				if len(r.events) != 0 || r.lastID != c.ev.ID {
					t.Fatalf("browser sees %+v last id %q", r.events, r.lastID)
				}
				return
			}
			want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(c.ev.Data))
			if len(r.events) != 1 || string(r.events[0].Data) != want || r.events[0].ID != c.ev.ID ||
				r.events[0].Event != c.ev.Event {
				t.Fatalf("browser sees %s", dumpEvents(r.events))
			}
		})
	}
}

// countWriter counts Write calls.
type countWriter struct {
	calls int
	bytes.Buffer
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.calls++
	return c.Buffer.Write(p)
}

func TestEncodeRefuses(t *testing.T) {
	cases := []struct {
		name string
		ev   Event
		enc  DataEncoding
		err  error
	}{
		{"id LF", Event{ID: "1\ndata: evil", Data: []byte("x")}, DataText, ErrInvalidID},
		{"id CR", Event{ID: "1\r", Data: []byte("x")}, DataText, ErrInvalidID},
		{"id NUL", Event{ID: "1\x00"}, DataText, ErrInvalidID},
		{"id invalid UTF-8", Event{ID: "\xFF"}, DataBase64, ErrInvalidID},
		{"event LF", Event{Event: "a\nid: 2", Data: []byte("x")}, DataText, ErrInvalidEvent},
		{"event CR", Event{Event: "a\r"}, DataText, ErrInvalidEvent},
		{"event invalid UTF-8", Event{Event: "a\xC0"}, DataText, ErrInvalidEvent},
		{"negative retry", Event{Retry: -time.Millisecond, Data: []byte("x")}, DataText, ErrInvalidRetry},
		{"data invalid UTF-8", Event{Data: []byte("a\xFFb")}, DataText, ErrInvalidUTF8},
		{"data surrogate", Event{Data: []byte("\xED\xA0\x80")}, DataText, ErrInvalidUTF8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := []byte("kept")
			got, err := c.ev.AppendWith(dst, c.enc)
			if !errors.Is(err, c.err) || string(got) != "kept" {
				t.Fatalf("AppendWith: %q, %v; want %v and dst unchanged", got, err, c.err)
			}
			w := &countWriter{}
			err = NewEncoder(w, WithDataEncoding(c.enc)).Encode(&c.ev)
			if !errors.Is(err, c.err) || w.calls != 0 {
				t.Fatalf("Encode: %v, %d writes; want %v and nothing written", err, w.calls, c.err)
			}
		})
	}
}

func TestEncodeBase64(t *testing.T) {
	bin := []byte{0xFF, 0x00, '\n', '\r', 0xC0}
	ev := Event{ID: "1", Data: bin}
	if _, err := ev.AppendTo(nil); !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("binary data as text: %v", err)
	}
	var buf bytes.Buffer
	if err := NewEncoder(&buf, WithDataEncoding(DataBase64)).Encode(&ev); err != nil {
		t.Fatal(err)
	}
	if want := "id: 1\ndata: " + base64.StdEncoding.EncodeToString(bin) + "\n\n"; buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	got, err := NewDecoder(&buf).Decode()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(got.Data))
	if err != nil || !bytes.Equal(raw, bin) {
		t.Fatalf("round trip: %q %v", raw, err)
	}
}

func TestEncoderOneWritePerEvent(t *testing.T) {
	w := &countWriter{}
	enc := NewEncoder(w)
	for i := range 3 {
		if err := enc.Encode(&Event{ID: "1", Data: []byte(strings.Repeat("line\n", i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	if w.calls != 3 {
		t.Fatalf("%d writes for 3 events", w.calls)
	}
}

func TestEncodeWriteError(t *testing.T) {
	boom := errors.New("boom")
	err := NewEncoder(failWriter{boom}).Encode(&Event{Data: []byte("x")})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// Encoding into a reused buffer makes no allocation: allocation counts are
// deterministic, so this is a test, not only a benchmark.
func TestEncodeZeroAllocs(t *testing.T) {
	events := map[string]*Event{
		"1 line of 100 B":   {Data: bytes.Repeat([]byte("a"), 100)},
		"all fields":        {ID: "1234567", Event: "update", Retry: time.Second, Comment: "c\nd", Data: bytes.Repeat([]byte("é"), 50)},
		"20 lines of 50 B":  {ID: "9", Data: bytes.Repeat(append(bytes.Repeat([]byte("b"), 49), '\n'), 20)},
		"base64 of 100 B":   {Data: bytes.Repeat([]byte{0xFF}, 100)},
		"refused (invalid)": {ID: "\n"},
	}
	for name, ev := range events {
		buf := make([]byte, 0, 4096)
		enc := DataText
		if name == "base64 of 100 B" {
			enc = DataBase64
		}
		if n := testing.AllocsPerRun(100, func() { buf, _ = ev.AppendWith(buf[:0], enc) }); n != 0 {
			t.Errorf("AppendWith %s: %v allocs/op", name, n)
		}
		e := NewEncoder(io.Discard, WithDataEncoding(enc))
		_ = e.Encode(ev)
		if n := testing.AllocsPerRun(100, func() { _ = e.Encode(ev) }); n != 0 {
			t.Errorf("Encoder %s: %v allocs/op", name, n)
		}
	}
}

func TestValidUTF8FastPath(t *testing.T) {
	ascii := strings.Repeat("a", 100)
	for _, tail := range []string{"", "é", "\xFF", "\xC3", "\xED\xA0\x80", "😀", "\xF0\x9F\x98"} {
		for cut := 0; cut <= 100; cut++ {
			for _, s := range []string{ascii[:cut] + tail, ascii[:cut] + tail + ascii[cut:]} {
				if got, want := validUTF8([]byte(s)), utf8.ValidString(s); got != want {
					t.Fatalf("validUTF8(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
}

func TestScanData(t *testing.T) {
	ascii := strings.Repeat("a", 70)
	for _, ins := range []string{"", "\r", "é", "\xFF", "\r\xFF", "é\r", "\xC3", "😀"} {
		for cut := 0; cut <= len(ascii); cut++ {
			for _, s := range []string{ascii[:cut] + ins, ascii[:cut] + ins + ascii[cut:], ascii[:cut] + ins + ascii[cut:] + "\r"} {
				valid, hasCR := scanData([]byte(s))
				if valid != utf8.ValidString(s) || (valid && hasCR != strings.Contains(s, "\r")) {
					t.Fatalf("scanData(%q) = %v, %v", s, valid, hasCR)
				}
			}
		}
	}
}
