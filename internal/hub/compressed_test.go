package hub

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/compress"
)

// readAllNow reads s's frames until nothing more is due.
func readAllNow(t *testing.T, s *Subscriber) [][]byte {
	t.Helper()
	var out, batch [][]byte
	for {
		batch, more, err := s.Read(batch[:0])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, batch...)
		if !more {
			return out
		}
	}
}

// decodeStream decodes a gzip or zlib stream: header, the frames read,
// trailer.
func decodeStream(t *testing.T, s *Subscriber, frames [][]byte) []byte {
	t.Helper()
	stream := s.AppendHeader(nil)
	for _, f := range frames {
		stream = append(stream, f...)
	}
	stream = s.AppendTrailer(stream)
	var r io.Reader
	var err error
	switch s.Encoding() {
	case compress.Gzip:
		r, err = gzip.NewReader(bytes.NewReader(stream))
	case compress.Deflate:
		r, err = zlib.NewReader(bytes.NewReader(stream))
	default:
		return stream
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%v: %v", s.Encoding(), err)
	}
	return got
}

// TestCompressedReadersGetThePlainStream: gzip and zlib subscribers, live
// and resuming (exactly, and from an unknown id: the reset), on two topics,
// decode their frames, heartbeats and a hint of their own to
// exactly what a plain subscriber reads; events published before any
// compressed reader existed are compressed once when first read, later ones
// at publish, and every reader shares the same compressed bytes.
func TestCompressedReadersGetThePlainStream(t *testing.T) {
	h := New(KeepPublisherIDs(), MaxHistoryEvents(100))
	defer h.Close()
	publish := func(i int) {
		topic := []string{"a", "b"}[i%2]
		ev := &codec.Event{Event: "order", Data: []byte(fmt.Sprintf(`{"n":%d,"user":"ada","items":%q}`, i, strings.Repeat("sku-1,", i%50)))}
		if i%7 == 0 {
			ev.ID = fmt.Sprintf("pub-%d", i)
		}
		if _, err := h.Publish(topic, ev); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		publish(i) // nobody reads compressed yet
	}
	before := h.Stats().HistoryBytes
	heartbeat := compress.NewFrame([]byte(": heartbeat\n\n"))
	for _, last := range []string{"", "pub-14", "garbage"} {
		var subs []*Subscriber
		for _, enc := range []compress.Encoding{compress.Identity, compress.Gzip, compress.Deflate, compress.Gzip} {
			s, err := h.Subscribe([]string{"a", "b"}, last, Compressed(enc), Notify(func() {}))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Encoding() != enc {
				t.Fatalf("encoding %v, want %v", s.Encoding(), enc)
			}
			subs = append(subs, s)
		}
		for i := 30; i < 40; i++ {
			publish(i)
		}
		var want []byte
		for k, s := range subs {
			frames := readAllNow(t, s)
			frames = append(frames, s.AppendFrame(nil, heartbeat), s.AppendPlain(nil, []byte("retry: 1234\n\n")))
			got := decodeStream(t, s, frames)
			if k == 0 {
				want = got
				if last == "garbage" && !bytes.Contains(want, []byte("event: "+codec.ResetEventType)) {
					t.Fatalf("no reset in %.80q", want)
				}
				continue
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("last %q, %v reader: decoded %d bytes\n%.200q\nwant %d\n%.200q", last, s.Encoding(), len(got), got, len(want), want)
			}
		}
		subs[3].Close()
	}
	if after := h.Stats().HistoryBytes; after <= before {
		t.Fatalf("history bytes %d after compressing, %d before", after, before)
	}
}

// TestCompressedFramesAreShared: two gzip readers of one topic read the
// very same bytes (compressed once), and the history counts them once.
func TestCompressedFramesAreShared(t *testing.T) {
	h := New()
	defer h.Close()
	a, _ := h.Subscribe([]string{"t"}, "", Compressed(compress.Gzip), Notify(func() {}))
	defer a.Close()
	b, _ := h.Subscribe([]string{"t"}, "", Compressed(compress.Deflate), Notify(func() {}))
	defer b.Close()
	plainBytes := 0
	for i := range 10 {
		h.Publish("t", &codec.Event{Data: []byte(strings.Repeat(fmt.Sprintf("event %d ", i), 50))})
	}
	p, _ := h.Subscribe([]string{"t"}, formatID(h.epoch, 0))
	defer p.Close()
	for _, f := range readAllNow(t, p) {
		plainBytes += len(f)
	}
	fa, fb := readAllNow(t, a), readAllNow(t, b)
	if len(fa) != 10 || len(fb) != 10 {
		t.Fatalf("%d and %d frames, want 10", len(fa), len(fb))
	}
	zBytes := 0
	for i := range fa {
		if &fa[i][0] != &fb[i][0] {
			t.Fatalf("frame %d compressed twice", i)
		}
		zBytes += len(fa[i])
	}
	if got := h.Stats().HistoryBytes; got != plainBytes+zBytes {
		t.Fatalf("history bytes %d, want %d plain + %d compressed", got, plainBytes, zBytes)
	}
	if zBytes >= plainBytes/2 {
		t.Fatalf("compressed %d bytes of %d", zBytes, plainBytes)
	}
}

// TestUnsupportedEncodingReadsPlain: a subscriber asking for an encoding
// the hub does not compress in reads the frames as they are.
func TestUnsupportedEncodingReadsPlain(t *testing.T) {
	h := New()
	defer h.Close()
	s, _ := h.Subscribe([]string{"t"}, "", Compressed(compress.Zstd), Notify(func() {}))
	defer s.Close()
	h.Publish("t", &codec.Event{Data: []byte("x")})
	frames := readAllNow(t, s)
	if s.Encoding() != compress.Identity || len(frames) != 1 || !bytes.HasSuffix(frames[0], []byte("data: x\n\n")) {
		t.Fatalf("encoding %v, frames %q", s.Encoding(), frames)
	}
	if s.AppendHeader(nil) != nil || s.AppendTrailer(nil) != nil {
		t.Fatal("identity stream has a header or trailer")
	}
}

// TestLargeEventWithCompressedReaders: an event that fits the history's
// bytes alone but not with its compressed form beside it is still
// delivered to every reader, compressed and plain, none of them ended
// (its compressed form is then made per reader, not kept).
func TestLargeEventWithCompressedReaders(t *testing.T) {
	h := New(MaxHistoryBytes(4000))
	defer h.Close()
	z, _ := h.Subscribe([]string{"t"}, "", Compressed(compress.Gzip), Notify(func() {}))
	defer z.Close()
	p, _ := h.Subscribe([]string{"t"}, "", Notify(func() {}))
	defer p.Close()
	data := []byte(strings.Repeat(`{"a":1,"b":"xyz"}`, 300)[:3900]) // compresses well: 3.9 KB + ~100 B > 4000
	if _, err := h.Publish("t", &codec.Event{Data: data}); err != nil {
		t.Fatal(err)
	}
	zf, pf := readAllNow(t, z), readAllNow(t, p)
	if len(pf) != 1 || len(zf) != 1 {
		t.Fatalf("%d plain and %d compressed frames, want 1 each (ended: %v, %v)", len(pf), len(zf), p.Err(), z.Err())
	}
	if got := decodeStream(t, z, zf); !bytes.Equal(got, pf[0]) {
		t.Fatalf("decoded %d bytes, want %d", len(got), len(pf[0]))
	}
	if hb := h.Stats().HistoryBytes; hb > 4000 {
		t.Fatalf("history holds %d bytes, bound 4000", hb)
	}
}
