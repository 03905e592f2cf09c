package hub

import (
	"errors"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

func TestEndSubscribersKeepsTheHubOpen(t *testing.T) {
	h := New()
	defer h.Close()
	one, err := h.subscribeReady([]string{"a", "b"}, "")
	if err != nil {
		t.Fatal(err)
	}
	two, err := h.subscribeReady([]string{"b"}, "")
	if err != nil {
		t.Fatal(err)
	}
	h.Publish("a", &codec.Event{Data: []byte("x")})
	if n := h.EndSubscribers(); n != 2 {
		t.Fatalf("EndSubscribers = %d, want 2 (one on two topics counted once)", n)
	}
	for _, s := range []*Subscriber{one, two} {
		_, err := drainAll(t, s) // what it had yet to read first
		if err == nil {
			_, err = s.Drain(nil)
		}
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("ended subscriber: %v, want ErrClosed", err)
		}
		s.Close()
	}
	if n := h.Stats().Subscribers; n != 0 {
		t.Fatalf("subscribers after EndSubscribers: %d", n)
	}

	again, err := h.subscribeReady([]string{"a"}, "")
	if err != nil {
		t.Fatalf("the hub takes new subscribers: %v", err)
	}
	defer again.Close()
	if _, err := h.Publish("a", &codec.Event{Data: []byte("y")}); err != nil {
		t.Fatalf("publish after EndSubscribers: %v", err)
	}
	if h.Stats().HistoryEvents != 2 {
		t.Fatalf("history kept: %d events, want 2", h.Stats().HistoryEvents)
	}
	h.Close()
	if n := h.EndSubscribers(); n != 0 {
		t.Fatalf("EndSubscribers on a closed hub = %d", n)
	}
}
