package hub

import (
	"testing"
)

// TestRewind: a subscription without an id and Rewind(n) reads the last n
// events of its topics together, in order, then live ones; fewer when the
// logs hold fewer; at most MaxReplay; nothing changes with an id.
func TestRewind(t *testing.T) {
	fill := func() (h *Hub, a, b []string) {
		h = New(MaxReplay(4), WithEpoch("e"))
		a = publishN(t, h, "a", 3)
		b = publishN(t, h, "b", 2) // ids after a's
		publishN(t, h, "c", 5)     // another topic: not counted
		return h, a, b
	}
	_, a, b := fill() // every hub of fill has the same ids
	cases := []struct {
		name   string
		topics []string
		lastID string
		rewind int
		want   []string
	}{
		{"last 2 of a", []string{"a"}, "", 2, a[1:]},
		{"last 3 of a and b", []string{"a", "b"}, "", 3, append([]string{a[2]}, b...)},
		{"more than held", []string{"b"}, "", 9, b},
		{"bounded by MaxReplay", []string{"a", "b"}, "", 100, append(a[1:], b...)},
		{"zero: live", []string{"a"}, "", 0, nil},
		{"an id wins", []string{"a"}, a[0], 1, a[1:]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, _, _ := fill()
			defer h.Close()
			s, err := h.Subscribe(c.topics, c.lastID, Rewind(c.rewind))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			evs, _ := drainAll(t, s)
			if got := ids(evs); !equal(got, c.want) {
				t.Fatalf("read %v, want %v", got, c.want)
			}
			if c.lastID == "" && s.Resume().Outcome != ResumeNone {
				t.Errorf("Resume = %v, want none", s.Resume())
			}
			live := publishN(t, h, c.topics[0], 1)
			evs, _ = drainAll(t, s)
			if got := ids(evs); !equal(got, live) {
				t.Fatalf("then read %v, want the live %v", got, live)
			}
		})
	}
}
