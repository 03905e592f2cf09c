package hub

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// readOne reads the one frame due to s.
func readOne(t *testing.T, s *Subscriber) []byte {
	t.Helper()
	frames, _, err := s.Read(nil)
	if err != nil || len(frames) != 1 {
		t.Fatalf("read %d frames, %v; want 1", len(frames), err)
	}
	return frames[0]
}

// TestFramesCapped: a frame Read hands out is capped at its end, so a
// writer that appends to it (its transport's framing) gets a copy and
// never writes over the log's bytes.
func TestFramesCapped(t *testing.T) {
	h := New()
	defer h.Close()
	s, _ := h.Subscribe([]string{"a"}, "")
	defer s.Close()
	for _, data := range []string{"one", strings.Repeat("x", 5000)} {
		if _, err := h.Publish("a", &codec.Event{Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
		f := readOne(t, s)
		if cap(f) != len(f) {
			t.Fatalf("frame of %d bytes has capacity %d", len(f), cap(f))
		}
		want := bytes.Clone(f)
		_ = append(f, "\r\n"...)
		again, _ := h.Subscribe([]string{"a"}, "garbage") // replays the log
		frames, _, _ := again.Read(nil)
		again.Close()
		if got := frames[len(frames)-1]; !bytes.Equal(got, want) {
			t.Fatalf("log changed by an append: %.40q, want %.40q", got, want)
		}
	}
}

// FuzzReadFrames: whatever event is published (data, type, comment,
// publisher id, data encoding), Read returns the codec's encoding of it
// as one frame: with the publisher's id, or after the hub's id line.
func FuzzReadFrames(f *testing.F) {
	f.Add([]byte("hello"), "", "", "", false)
	f.Add([]byte(""), "tick", "a comment", "pub-1", false)
	f.Add([]byte("line 1\nline 2\r\nline 3\r"), "e", "c\nd", "", false)
	f.Add([]byte{0xff, 0x00, 'a'}, "", "", "", true)
	f.Add([]byte(strings.Repeat("x", 7000)), "big", "", "id-big", false)
	f.Fuzz(func(t *testing.T, data []byte, typ, comment, id string, b64 bool) {
		opts := []Option{KeepPublisherIDs()}
		enc := codec.DataText
		if b64 {
			enc = codec.DataBase64
			opts = append(opts, WithDataEncoding(enc))
		}
		h := New(opts...)
		defer h.Close()
		s, _ := h.Subscribe([]string{"f"}, "")
		defer s.Close()
		ev := &codec.Event{ID: id, Event: typ, Comment: comment, Data: data}
		got, err := h.Publish("f", ev)
		if err != nil {
			return // refused: nothing to read
		}
		var wantFrame []byte
		if id == "" { // the hub's id line goes first
			wantFrame = []byte("id: " + got + "\n")
		}
		wantFrame, err = ev.AppendWith(wantFrame, enc)
		if err != nil {
			t.Fatalf("the hub took an event the codec refuses: %v", err)
		}
		if frame := readOne(t, s); !bytes.Equal(frame, wantFrame) {
			t.Fatalf("frame %.80q, want %.80q", frame, wantFrame)
		}
	})
}
