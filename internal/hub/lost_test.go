package hub

import (
	"errors"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// lostLog is a fed hub (epoch "lost") holding a1..a5 in its local log,
// with the source holding the same.
func lostLog(t *testing.T) (*Hub, *fakeSource) {
	t.Helper()
	src := &fakeSource{first: 1}
	h := New(WithEpoch("lost"), WithSource(src), WithStart(1))
	t.Cleanup(h.Close)
	for seq := uint64(1); seq <= 5; seq++ {
		appendRecord(t, h, src, record("a", seq))
	}
	return h, src
}

func appendRecord(t *testing.T, h *Hub, src *fakeSource, r Record) {
	t.Helper()
	src.add(r)
	if _, err := h.Append(r); err != nil {
		t.Fatal(err)
	}
}

// TestLostRangeGetsTheReset: the outside log lost (5, 8] before this hub
// was fed it (MarkLost): a live reader gets the reset with the id of 8
// before 9, never a silent skip; a reader of two topics gets it once; a
// resume from below the loss is not exact, one from its end is.
func TestLostRangeGetsTheReset(t *testing.T) {
	h, src := lostLog(t)
	one, _ := h.subscribeReady([]string{"a"}, "")
	defer one.Close()
	two, _ := h.subscribeReady([]string{"a", "b"}, formatID("lost", 2))
	defer two.Close()
	onB, _ := h.subscribeReady([]string{"b"}, "")
	defer onB.Close()
	if got := ids(readN(t, two, 3)); !equal(got, []string{formatID("lost", 3), formatID("lost", 4), formatID("lost", 5)}) {
		t.Fatalf("before the loss: %v", got)
	}

	if err := h.MarkLost(8); err != nil {
		t.Fatal(err)
	}
	late, _ := h.subscribeReady([]string{"a"}, "") // joined after the loss: lost nothing
	defer late.Close()
	appendRecord(t, h, src, record("a", 9))
	appendRecord(t, h, src, record("b", 10))

	evs := readN(t, one, 2)
	if evs[0].ID != formatID("lost", 8) {
		t.Fatalf("live reader: first frame %q %q, want the reset at %q", evs[0].Event, evs[0].ID, formatID("lost", 8))
	}
	if rest := checkReset(t, evs, "", codec.ResetEvicted); rest[0].ID != formatID("lost", 9) {
		t.Fatalf("live reader after the reset: %v", ids(rest))
	}

	evs = readN(t, two, 3)
	increasing(t, evs)
	rest := checkReset(t, evs, formatID("lost", 2), codec.ResetEvicted)
	if got := ids(evs); !equal(got, []string{formatID("lost", 8), formatID("lost", 9), formatID("lost", 10)}) {
		t.Fatalf("two topics: %v (%d resets)", got, len(evs)-len(rest))
	}

	evs = readN(t, onB, 2)
	if got := ids(checkReset(t, evs, "", codec.ResetEvicted)); evs[0].ID != formatID("lost", 8) || !equal(got, []string{formatID("lost", 10)}) {
		t.Fatalf("topic b: %v", ids(evs))
	}

	if got := ids(readN(t, late, 1)); !equal(got, []string{formatID("lost", 9)}) {
		t.Fatalf("a reader that joined after the loss: %v", got)
	}

	id := func(seq uint64) string { return formatID("lost", seq) }
	for _, c := range []struct {
		from uint64
		want ResumeOutcome
		ids  []string // the reset's id is 8
	}{
		{3, ResumeLost, []string{id(4), id(5), id(8), id(9)}},
		{7, ResumeLost, []string{id(8), id(9)}},
		{8, ResumeExact, []string{id(9)}},
	} {
		s, err := h.subscribeReady([]string{"a"}, id(c.from))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Resume(); got.Outcome != c.want || c.want == ResumeLost && got.Reason != codec.ResetEvicted {
			t.Errorf("resume from %d: %+v, want %v", c.from, got, c.want)
		}
		evs := readN(t, s, len(c.ids))
		if got := ids(evs); !equal(got, c.ids) {
			t.Errorf("resume from %d: %v, want %v", c.from, got, c.ids)
		}
		for _, ev := range evs {
			if (ev.Event == codec.ResetEventType) != (ev.ID == id(8)) {
				t.Errorf("resume from %d: frame %q of type %q", c.from, ev.ID, ev.Event)
			}
		}
		s.Close()
	}
	if err := h.MarkLost(3); err != nil { // at or below what was appended: nothing more is lost
		t.Fatal(err)
	}
	h.Close()
	if err := h.MarkLost(20); !errors.Is(err, ErrClosed) {
		t.Fatalf("MarkLost on a closed hub: %v", err)
	}
}

// TestLostRangeBehindEviction: the entry after the loss left the local log
// before a reader read it: the Source fills the reader up to the loss, the
// reset stands at its end, then the Source fills the rest (the Source
// knows nothing of the loss: filled across it, the skip would be silent).
func TestLostRangeBehindEviction(t *testing.T) {
	src := &fakeSource{first: 1}
	h := New(WithEpoch("lost"), WithSource(src), WithStart(1), MaxHistoryEvents(2))
	defer h.Close()
	for seq := uint64(1); seq <= 5; seq++ {
		appendRecord(t, h, src, record("a", seq))
	}
	s, _ := h.subscribeReady([]string{"a"}, "")
	defer s.Close()
	if err := h.MarkLost(8); err != nil {
		t.Fatal(err)
	}
	for seq := uint64(9); seq <= 14; seq++ {
		appendRecord(t, h, src, record("a", seq))
	}
	evs := readN(t, s, 7)
	increasing(t, evs)
	rest := checkReset(t, evs, "", codec.ResetEvicted)
	var want []string
	for seq := uint64(9); seq <= 14; seq++ {
		want = append(want, formatID("lost", seq))
	}
	if got := ids(rest); evs[0].ID != formatID("lost", 8) || !equal(got, want) {
		t.Fatalf("after the reset %q: %v", evs[0].ID, got)
	}
}

// TestLostRangeResumeFilledUpToTheLoss: a resume from below a loss, on a
// hub whose local log starts above the id, gets what the Source holds
// below the loss, the reset at its end, then the rest; on a topic made
// after the loss too.
func TestLostRangeResumeFilledUpToTheLoss(t *testing.T) {
	src := &fakeSource{first: 1}
	for seq := uint64(1); seq <= 4; seq++ {
		src.add(record("a", seq))
	}
	h := New(WithEpoch("lost"), WithSource(src), WithStart(5))
	defer h.Close()
	appendRecord(t, h, src, record("a", 5))
	if err := h.MarkLost(8); err != nil {
		t.Fatal(err)
	}
	appendRecord(t, h, src, record("a", 9))
	appendRecord(t, h, src, record("c", 10)) // c is made after the loss

	id := func(seq uint64) string { return formatID("lost", seq) }
	for _, c := range []struct {
		topics []string
		want   []string // the reset's id is 8
	}{
		{[]string{"a"}, []string{id(3), id(4), id(5), id(8), id(9)}},
		{[]string{"c"}, []string{id(8), id(10)}},
		{[]string{"a", "c"}, []string{id(3), id(4), id(5), id(8), id(9), id(10)}},
	} {
		s, err := h.subscribeReady(c.topics, id(2))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Resume(); got.Outcome != ResumeLost || got.Reason != codec.ResetEvicted {
			t.Errorf("%v from 2: %+v", c.topics, got)
		}
		evs := readN(t, s, len(c.want))
		if got := ids(evs); !equal(got, c.want) {
			t.Errorf("%v from 2: %v, want %v", c.topics, got, c.want)
		}
		for _, ev := range evs {
			if (ev.Event == codec.ResetEventType) != (ev.ID == id(8)) {
				t.Errorf("%v from 2: frame %q of type %q", c.topics, ev.ID, ev.Event)
			}
		}
		s.Close()
	}
}
