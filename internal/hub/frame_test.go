package hub

import (
	"bytes"
	"fmt"
	"io"
	"net/http/httputil"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// readBatches reads from s until it has n frames (or chunks), waiting on
// Ready between batches (a liveness bound, not a timing assertion).
func readBatches(t *testing.T, s *Subscriber, chunks bool, n int) [][]byte {
	t.Helper()
	var out, batch [][]byte
	for len(out) < n {
		var more bool
		var err error
		if chunks {
			batch, more, err = s.ReadChunks(batch[:0])
		} else {
			batch, more, err = s.Read(batch[:0])
		}
		if err != nil {
			t.Fatalf("after %d frames: %v", len(out), err)
		}
		out = append(out, batch...)
		if !more && len(out) < n {
			select {
			case <-s.Ready():
			case <-time.After(time.Minute):
				t.Fatalf("waited a minute with %d of %d frames", len(out), n)
			}
		}
	}
	return out
}

// checkChunks fails unless chunks[i] is frames[i] as one HTTP/1.1 chunk,
// and the chunks together read, through Go's chunked reader, as the frames.
func checkChunks(t *testing.T, frames, chunks [][]byte) {
	t.Helper()
	if len(chunks) != len(frames) {
		t.Fatalf("%d chunks, %d frames", len(chunks), len(frames))
	}
	for i, c := range chunks {
		size, rest, ok := bytes.Cut(c, []byte("\r\n"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if !ok || err != nil || int(n) != len(frames[i]) || !bytes.Equal(rest, append(append([]byte(nil), frames[i]...), "\r\n"...)) {
			t.Fatalf("chunk %d: %.40q, frame %.40q", i, c, frames[i])
		}
	}
	body := append(bytes.Join(chunks, nil), "0\r\n\r\n"...)
	got, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
	if err != nil || !bytes.Equal(got, bytes.Join(frames, nil)) {
		t.Fatalf("chunked reader: %d bytes, %v; want %d", len(got), err, len(bytes.Join(frames, nil)))
	}
}

// TestReadChunksAreReadsFrames: ReadChunks returns the frames Read returns,
// each as one HTTP/1.1 chunk: logged events of every size (a size line of
// 1 to 5 hex digits), publisher ids, the reset frame at a gap, on several
// topics.
func TestReadChunksAreReadsFrames(t *testing.T) {
	h := New(KeepPublisherIDs(), MaxHistoryEvents(40))
	defer h.Close()
	var n int
	for i, size := range []int{0, 1, 9, 15, 16, 255, 4000, 4096, 70000, 100} {
		for _, topic := range []string{"a", "b"} {
			ev := &codec.Event{Data: []byte(strings.Repeat("x", size)), Event: "e" + strconv.Itoa(i)}
			if i%3 == 0 {
				ev.ID = fmt.Sprintf("pub-%s-%d", topic, i)
			}
			if _, err := h.Publish(topic, ev); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	for _, last := range []string{"", "garbage"} {
		plain, err := h.subscribeReady([]string{"a", "b"}, last)
		if err != nil {
			t.Fatal(err)
		}
		chunked, _ := h.subscribeReady([]string{"a", "b"}, last)
		want := 0
		if last != "" {
			want = n + 1 // the history, after the reset (unknown id)
			if r := plain.Resume(); r.Outcome != ResumeLost {
				t.Fatalf("resume %+v", r)
			}
		}
		h.Publish("a", &codec.Event{Data: []byte("live")})
		want++
		frames := readBatches(t, plain, false, want)
		chunks := readBatches(t, chunked, true, want)
		checkChunks(t, frames, chunks)
		if last != "" && !bytes.Contains(frames[0], []byte("event: "+codec.ResetEventType+"\n")) {
			t.Fatalf("first frame %.60q, want the reset", frames[0])
		}
		plain.Close()
		chunked.Close()
	}
}

// TestReadChunksFromSource: frames fetched from the Source (a fed hub's
// resume below its local log) are chunks as well.
func TestReadChunksFromSource(t *testing.T) {
	src := &fakeSource{first: 1}
	h := New(WithEpoch("e"), WithSource(src), MaxHistoryEvents(20))
	defer h.Close()
	all := fedLog(t, h, src, 900, 700)
	want := len(wantAfter(h, all, 10, "a", "c"))
	plain, _ := h.subscribeReady([]string{"a", "c"}, formatID("e", 10))
	defer plain.Close()
	chunked, _ := h.subscribeReady([]string{"a", "c"}, formatID("e", 10))
	defer chunked.Close()
	checkChunks(t, readBatches(t, plain, false, want), readBatches(t, chunked, true, want))
}

// FuzzReadChunks: whatever event is published (data, type, comment,
// publisher id, data encoding), ReadChunks returns Read's frame as one
// HTTP/1.1 chunk.
func FuzzReadChunks(f *testing.F) {
	f.Add([]byte("hello"), "", "", "", false)
	f.Add([]byte(""), "tick", "a comment", "pub-1", false)
	f.Add([]byte("line 1\nline 2\r\nline 3\r"), "e", "c\nd", "", false)
	f.Add([]byte{0xff, 0x00, 'a'}, "", "", "", true)
	f.Add([]byte(strings.Repeat("x", 7000)), "big", "", "id-big", false)
	f.Fuzz(func(t *testing.T, data []byte, typ, comment, id string, b64 bool) {
		opts := []Option{KeepPublisherIDs()}
		if b64 {
			opts = append(opts, WithDataEncoding(codec.DataBase64))
		}
		h := New(opts...)
		defer h.Close()
		plain, _ := h.subscribeReady([]string{"f"}, "")
		defer plain.Close()
		chunked, _ := h.subscribeReady([]string{"f"}, "")
		defer chunked.Close()
		if _, err := h.Publish("f", &codec.Event{ID: id, Event: typ, Comment: comment, Data: data}); err != nil {
			return // refused: nothing to read
		}
		checkChunks(t, readBatches(t, plain, false, 1), readBatches(t, chunked, true, 1))
	})
}
