package writepath

import (
	"bufio"
	"bytes"
	"io"
	"net/http/httputil"
	"strings"
	"testing"
	"time"
)

// TestAppendChunkReadsBack: chunks AppendChunk writes, ended by
// LastChunk, read back through net/http's chunked reader as the frames.
func TestAppendChunkReadsBack(t *testing.T) {
	frames := []string{"id: 1\ndata: a\n\n", "", strings.Repeat("z", 70000), ": heartbeat\n\n"}
	var body []byte
	for _, f := range frames {
		if f == "" {
			continue // an empty chunk would end the body
		}
		body = AppendChunk(body, []byte(f))
	}
	body = append(body, LastChunk...)
	got, err := io.ReadAll(httputil.NewChunkedReader(bufio.NewReader(bytes.NewReader(body))))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(frames, ""); string(got) != want {
		t.Fatalf("read back %d bytes, want %d", len(got), len(want))
	}
}

// TestRestOf: what a partial writev leaves is the same bytes, none of
// them copied.
func TestRestOf(t *testing.T) {
	bufs := [][]byte{AppendChunk(nil, []byte("id: 1\n\n")), AppendChunk(nil, []byte(strings.Repeat("z", 70000)))}
	want := bytes.Join(bufs, nil)
	for _, n := range []int{0, 1, 4, len(bufs[0]), len(bufs[0]) + 3, len(want) - 2, len(want) - 1} {
		rest := RestOf(bufs, n)
		if got := bytes.Join(rest, nil); !bytes.Equal(got, want[n:]) {
			t.Fatalf("n=%d: rest of %d bytes, want %d", n, len(got), len(want)-n)
		}
		k, in := 0, n
		if in >= len(bufs[0]) {
			k, in = 1, in-len(bufs[0])
		}
		if &rest[0][0] != &bufs[k][in] {
			t.Fatalf("n=%d: the rest was copied", n)
		}
	}
	if rest := RestOf(bufs, len(want)); len(rest) != 0 {
		t.Fatalf("all written: rest %d slices", len(rest))
	}
}

// TestHeartbeatSchedule: the sweep runs every half interval and sends to
// streams quiet for a quarter, never below a millisecond's tick.
func TestHeartbeatSchedule(t *testing.T) {
	if got := HeartbeatTick(10 * time.Second); got != 5*time.Second {
		t.Errorf("tick of 10s = %v", got)
	}
	if got := HeartbeatQuiet(10 * time.Second); got != 2500*time.Millisecond {
		t.Errorf("quiet of 10s = %v", got)
	}
	if got := HeartbeatTick(time.Microsecond); got != time.Millisecond {
		t.Errorf("tick of 1µs = %v", got)
	}
}
