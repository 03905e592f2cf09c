package hub

import (
	"errors"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// TestFollow: events put with Follow come right after a lost resume's
// reset, or first on a first connect, the last carrying the id of their
// place; a reconnect with that id is exact; a subscriber already read
// refuses them.
func TestFollow(t *testing.T) {
	h := New(WithEpoch("e"))
	defer h.Close()
	publishN(t, h, "a", 3)
	snap := []codec.Event{{Event: "state", Data: []byte("s1")}, {Event: "state", Data: []byte("s2"), ID: "ignored"}}

	t.Run("after a reset", func(t *testing.T) {
		s, err := h.Subscribe([]string{"a"}, "other-7")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Follow(snap); err != nil {
			t.Fatal(err)
		}
		evs, _ := drainAll(t, s)
		rest := checkReset(t, evs, "other-7", codec.ResetOtherEpoch)
		if len(rest) != 5 || string(rest[0].Data) != "s1" || string(rest[1].Data) != "s2" || rest[1].ID != evs[0].ID {
			t.Fatalf("after the reset %s: %v, want s1, s2 (the reset's id), then a's 3 events", evs[0].ID, rest)
		}
	})
	t.Run("first connect", func(t *testing.T) {
		s, err := h.Subscribe([]string{"a"}, "")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Follow(snap); err != nil {
			t.Fatal(err)
		}
		live := publishN(t, h, "a", 1)
		evs, _ := drainAll(t, s)
		if len(evs) != 3 || string(evs[0].Data) != "s1" || evs[1].ID != "e-3" || evs[2].ID != live[0] {
			t.Fatalf("read %v, want s1, s2 (id e-3), then %s", evs, live[0])
		}
		again, err := h.Subscribe([]string{"a"}, evs[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		evs, _ = drainAll(t, again)
		if again.Resume().Outcome != ResumeExact || len(evs) != 1 || evs[0].ID != live[0] {
			t.Fatalf("resumed from the snapshot's id: %v %v, want exact and %s", again.Resume(), ids(evs), live[0])
		}
		if err := again.Follow(snap); !errors.Is(err, errAlreadyRead) {
			t.Fatalf("Follow after Read: %v, want errAlreadyRead", err)
		}
	})
}
