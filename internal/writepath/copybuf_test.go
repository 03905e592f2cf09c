package writepath

import (
	"strings"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// ReadCopy appends the frames of a batch, in order, after what b holds.
func TestReadCopyAppendsTheBatch(t *testing.T) {
	h := hub.New()
	defer h.Close()
	sub, err := h.Subscribe([]string{"t"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for _, d := range []string{"one", "two"} {
		if _, err := h.Publish("t", &codec.Event{Data: []byte(d)}); err != nil {
			t.Fatal(err)
		}
	}
	bp := GetBuf()
	b, more, err := ReadCopy(sub, append((*bp)[:0], "retry: 1\n\n"...))
	if err != nil || more {
		t.Fatalf("ReadCopy: more %v, err %v", more, err)
	}
	got := string(b)
	if !strings.HasPrefix(got, "retry: 1\n\n") || strings.Index(got, "data: one\n") > strings.Index(got, "data: two\n") || !strings.Contains(got, "data: one\n") {
		t.Fatalf("ReadCopy = %q: want the prefix, then both events in order", got)
	}
	PutBuf(bp, b)
}
