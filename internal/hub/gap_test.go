package hub

import (
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// TestMarkGap: after MarkGap a resume from before it is never exact on
// that topic; one from after it is, and other topics are not affected.
func TestMarkGap(t *testing.T) {
	h := New()
	defer h.Close()
	before, err := h.Publish("t", &codec.Event{Data: []byte("before")})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := h.Publish("u", &codec.Event{Data: []byte("other")})
	if err := h.MarkGap("t"); err != nil {
		t.Fatal(err)
	}
	after, _ := h.Publish("t", &codec.Event{Data: []byte("after")})
	h.Publish("t", &codec.Event{Data: []byte("later")})
	for _, c := range []struct {
		topic, id string
		want      ResumeOutcome
	}{
		{"t", before, ResumeLost},
		{"t", after, ResumeExact},
		{"u", other, ResumeExact},
	} {
		s, err := h.Subscribe([]string{c.topic}, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Resume().Outcome; got != c.want {
			t.Errorf("resume on %s from %s: %v, want %v", c.topic, c.id, got, c.want)
		}
		s.Close()
	}
	if err := h.MarkGap(""); err == nil {
		t.Error("MarkGap of an empty topic name succeeded")
	}
}
