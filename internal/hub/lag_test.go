package hub

import (
	"slices"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// TestLagIsTheAgeOfTheOldestUnreadEvent: per topic, the age of the oldest
// event a subscriber has yet to read; readers that read everything, and
// topics without readers, have none.
func TestLagIsTheAgeOfTheOldestUnreadEvent(t *testing.T) {
	h := New()
	defer h.Close()
	clock := withFakeClock(h)
	fast, err := h.Subscribe([]string{"a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	slow, err := h.Subscribe([]string{"a", "b"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	for _, topic := range []string{"a", "a", "b", "c"} {
		clock.add(time.Second)
		if _, err := h.Publish(topic, &codec.Event{Data: []byte(topic)}); err != nil {
			t.Fatal(err)
		}
	}
	// a: 1s and 2s, b: 3s, c: 4s (no subscriber); now 10s.
	clock.add(6 * time.Second)
	if _, err := fast.Drain(nil); err != nil {
		t.Fatal(err)
	}
	want := []TopicLag{{"a", 9 * time.Second}, {"b", 7 * time.Second}}
	if got := h.Lag(0); !slices.Equal(got, want) {
		t.Fatalf("Lag = %v, want %v", got, want)
	}
	if got := h.Lag(1); !slices.Equal(got, want[:1]) {
		t.Fatalf("Lag(1) = %v, want %v", got, want[:1])
	}

	// slow reads everything, in one batch.
	frames, _, err := slow.Read(nil)
	if err != nil || len(frames) == 0 {
		t.Fatalf("Read: %d frames, %v", len(frames), err)
	}
	if got := h.Lag(0); len(got) != 0 {
		t.Fatalf("Lag after reading everything = %v, want none", got)
	}
	if got := slow.TakeReadAge(); got != 7*time.Second {
		t.Fatalf("TakeReadAge = %v, want 7s (b's event, the newest read)", got)
	}
	if got := slow.TakeReadAge(); got != 0 {
		t.Fatalf("TakeReadAge again = %v, want 0", got)
	}

	// A replay is history, not late: it gives no age.
	replay, err := h.Subscribe([]string{"a"}, "x-0")
	if err != nil {
		t.Fatal(err)
	}
	defer replay.Close()
	if b, err := replay.Drain(nil); err != nil || len(b) == 0 {
		t.Fatalf("replay: %q, %v", b, err)
	}
	if got := replay.TakeReadAge(); got != 0 {
		t.Fatalf("TakeReadAge after a replay = %v, want 0", got)
	}
}

// TestLagOfAReaderBehindAPartReadBatch: a reader that read part of a
// topic's log lags by the age of the first event after what it read.
func TestLagOfAReaderBehindAPartReadBatch(t *testing.T) {
	h := New()
	defer h.Close()
	clock := withFakeClock(h)
	s, err := h.Subscribe([]string{"a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < batchFrames+10; i++ {
		clock.add(time.Millisecond)
		if _, err := h.Publish("a", &codec.Event{Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	clock.add(time.Second)
	now := time.Duration(clock.get())
	if _, more, err := s.Read(nil); err != nil || !more {
		t.Fatalf("Read: more %v, %v; want a full batch and more", more, err)
	}
	// Event i (from 0) was published at 1ns + (i+1) ms.
	firstUnread := time.Duration(1) + time.Duration(batchFrames+1)*time.Millisecond
	if got := h.Lag(0); len(got) != 1 || got[0].Age != now-firstUnread {
		t.Fatalf("Lag = %v, want a: %v", got, now-firstUnread)
	}
	if got, want := s.TakeReadAge(), now-(time.Duration(1)+time.Duration(batchFrames)*time.Millisecond); got != want {
		t.Fatalf("TakeReadAge = %v, want %v", got, want)
	}
}
