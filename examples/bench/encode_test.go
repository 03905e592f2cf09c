package bench

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
	gosse "github.com/tmaxmax/go-sse"
)

// shape is one benchmark event: the same id, type and data for every
// library.
type shape struct {
	name string
	data string
}

const (
	id  = "123456"
	typ = "update"
)

// shapes: one line of 100 B, 20 lines of 50 B, 64 KiB in 64 lines (LF
// between lines, none at the end: go-sse drops a trailing newline, which a
// browser would otherwise receive, so such data would not be the same work).
var shapes = []shape{
	{"1x100B", strings.Repeat("a", 100)},
	{"20x50B", lines(20, 50)},
	{"64KiB", lines(64, 1024)},
}

// lines is n lines of size bytes each (counting the LF before the next).
func lines(n, size int) string {
	line := strings.Repeat("x", size-1)
	return strings.Repeat(line+"\n", n-1) + line + "x"
}

func ourEvent(s shape) *codec.Event {
	return &codec.Event{ID: id, Event: typ, Data: []byte(s.data)}
}

func theirMessage(s shape) *gosse.Message {
	m := &gosse.Message{ID: gosse.ID(id), Type: gosse.Type(typ)}
	m.AppendData(s.data)
	return m
}

// TestSameWire checks that the libraries write the same bytes for every
// shape, so the benchmarks compare the same work.
func TestSameWire(t *testing.T) {
	for _, s := range shapes {
		ours, err := ourEvent(s).AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		var theirs bytes.Buffer
		if _, err := theirMessage(s).WriteTo(&theirs); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs.Bytes()) {
			t.Errorf("%s: wire differs:\nours   %q\ntheirs %q", s.name, ours[:min(len(ours), 200)], theirs.Bytes()[:min(theirs.Len(), 200)])
		}
	}
}

// BenchmarkEncode writes a prepared event into a reused buffer: ours with
// AppendTo and with an Encoder writing to a bytes.Buffer, go-sse's prepared
// Message (data already split into lines by AppendData) with WriteTo to a
// bytes.Buffer.
func BenchmarkEncode(b *testing.B) {
	for _, s := range shapes {
		b.Run(s.name+"/ours-AppendTo", func(b *testing.B) {
			ev := ourEvent(s)
			buf := make([]byte, 0, 128<<10)
			b.SetBytes(int64(len(s.data)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = ev.AppendTo(buf[:0])
			}
		})
		b.Run(s.name+"/ours-Encoder", func(b *testing.B) {
			ev := ourEvent(s)
			var out bytes.Buffer
			enc := codec.NewEncoder(&out)
			b.SetBytes(int64(len(s.data)))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				_ = enc.Encode(ev)
			}
		})
		b.Run(s.name+"/gosse-WriteTo", func(b *testing.B) {
			m := theirMessage(s)
			var out bytes.Buffer
			b.SetBytes(int64(len(s.data)))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				_, _ = m.WriteTo(&out)
			}
		})
	}
}

// BenchmarkEncodeFromPayload includes building the event from its payload
// (for go-sse, AppendData splits the lines; ours splits while encoding).
func BenchmarkEncodeFromPayload(b *testing.B) {
	for _, s := range shapes {
		data := []byte(s.data)
		b.Run(s.name+"/ours-Encoder", func(b *testing.B) {
			var out bytes.Buffer
			enc := codec.NewEncoder(&out)
			b.SetBytes(int64(len(s.data)))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				_ = enc.Encode(&codec.Event{ID: id, Event: typ, Data: data})
			}
		})
		b.Run(s.name+"/gosse-WriteTo", func(b *testing.B) {
			var out bytes.Buffer
			b.SetBytes(int64(len(s.data)))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				m := gosse.Message{ID: gosse.ID(id), Type: gosse.Type(typ)}
				m.AppendData(s.data)
				_, _ = m.WriteTo(&out)
			}
		})
	}
}

var _ io.Writer = (*bytes.Buffer)(nil)
