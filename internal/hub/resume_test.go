package hub

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// publishN publishes n events "<topic>-<i>" to topic and returns their ids.
func publishN(t *testing.T, h *Hub, topic string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id, err := h.Publish(topic, &codec.Event{Data: []byte(fmt.Sprintf("%s-%d", topic, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// ids returns the ids of evs.
func ids(evs []*codec.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkReset checks that evs starts with a reset frame for lastID and
// reason, and returns the events after it.
func checkReset(t *testing.T, evs []*codec.Event, lastID, reason string) []*codec.Event {
	t.Helper()
	if len(evs) == 0 || evs[0].Event != codec.ResetEventType {
		t.Fatalf("first frame is not %s: %v", codec.ResetEventType, evs)
	}
	var d struct {
		Reason      string `json:"reason"`
		LastEventID string `json:"lastEventId"`
	}
	if err := json.Unmarshal(evs[0].Data, &d); err != nil {
		t.Fatalf("reset data %q: %v", evs[0].Data, err)
	}
	if d.Reason != reason || d.LastEventID != lastID {
		t.Fatalf("reset data %+v, want reason %q lastEventId %q", d, reason, lastID)
	}
	return evs[1:]
}

func TestResumeExactAcrossTopics(t *testing.T) {
	h := New()
	defer h.Close()
	var all []string // ids in publish order, topics a and b interleaved, c ignored
	for i := 0; i < 10; i++ {
		all = append(all, publishN(t, h, "a", 1)...)
		publishN(t, h, "c", 1)
		all = append(all, publishN(t, h, "b", 2)...)
	}
	for _, from := range []int{0, 7, 20, len(all) - 1} {
		s, err := h.Subscribe([]string{"a", "b", "a"}, all[from])
		if err != nil {
			t.Fatal(err)
		}
		if r := s.Resume(); r.Outcome != ResumeExact || r.Reason != "" {
			t.Fatalf("from %d: resume %+v", from, r)
		}
		if got := s.Topics(); !equal(got, []string{"a", "b"}) {
			t.Fatalf("topics %v", got)
		}
		evs, err := drainAll(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(evs); !equal(got, all[from+1:]) {
			t.Fatalf("from %d: got %v want %v", from, got, all[from+1:])
		}
		s.Close()
	}
	// An id of topic c (not subscribed) places the client too.
	cid := publishN(t, h, "c", 1)[0]
	next := publishN(t, h, "a", 1)
	s, _ := h.Subscribe([]string{"a", "b"}, cid)
	evs, _ := drainAll(t, s)
	if s.Resume().Outcome != ResumeExact || !equal(ids(evs), next) {
		t.Fatalf("resume from other topic's id: %+v %v", s.Resume(), ids(evs))
	}
	s.Close()
}

func TestResumeLostOutcomes(t *testing.T) {
	h := New(MaxHistoryEvents(3))
	defer h.Close()
	other := New()
	defer other.Close()
	oldID, _ := other.Publish("a", &codec.Event{Data: []byte("x")})

	pub := publishN(t, h, "a", 10)
	held := pub[7:]
	future := formatID(h.Epoch(), 1000)
	cases := []struct {
		name, id, reason string
	}{
		{"other epoch", oldID, codec.ResetOtherEpoch},
		{"evicted", pub[2], codec.ResetEvicted},
		{"garbage", "hello, world", codec.ResetInvalid},
		{"epoch only", h.Epoch() + "-", codec.ResetInvalid},
		{"overflow", h.Epoch() + "-zzzzzzzzzzzzz", codec.ResetInvalid},
		{"leading zero", h.Epoch() + "-01", codec.ResetInvalid},
		{"future", future, codec.ResetInvalid},
	}
	for _, c := range cases {
		s, err := h.Subscribe([]string{"a"}, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if r := s.Resume(); r.Outcome != ResumeLost || r.Reason != c.reason {
			t.Fatalf("%s: resume %+v, want lost/%s", c.name, r, c.reason)
		}
		evs, _ := drainAll(t, s)
		rest := checkReset(t, evs, c.id, c.reason)
		if !equal(ids(rest), held) {
			t.Fatalf("%s: after reset got %v, want %v", c.name, ids(rest), held)
		}
		// Reconnecting with the reset frame's id (no later frame seen) is
		// exact and replays what followed it.
		s2, _ := h.Subscribe([]string{"a"}, evs[0].ID)
		evs2, _ := drainAll(t, s2)
		if s2.Resume().Outcome != ResumeExact || !equal(ids(evs2), held) {
			t.Fatalf("%s: resume from reset id %q: %+v %v", c.name, evs[0].ID, s2.Resume(), ids(evs2))
		}
		s.Close()
		s2.Close()
	}
	// The last held boundary: resuming at the newest evicted id is exact.
	s, _ := h.Subscribe([]string{"a"}, pub[6])
	if s.Resume().Outcome != ResumeExact {
		t.Fatalf("resume at last evicted id: %+v", s.Resume())
	}
	s.Close()
	s, _ = h.Subscribe([]string{"a"}, "")
	if r := s.Resume(); r.Outcome != ResumeNone {
		t.Fatalf("no id: %+v", r)
	}
	if b, _ := s.Drain(nil); len(b) != 0 {
		t.Fatalf("no id replayed %q", b)
	}
	s.Close()
}

func TestResumeForgottenTopicIsNotExact(t *testing.T) {
	h := New(MaxHistoryEvents(2), MaxHistoryAge(time.Minute))
	defer h.Close()
	c := withFakeClock(h)
	first := publishN(t, h, "gone", 1)[0]
	publishN(t, h, "gone", 2) // evicts first
	c.add(2 * time.Minute)
	h.sweep() // the rest expires: the topic holds nothing and is forgotten
	if st := h.Stats(); st.Topics != 0 {
		t.Fatalf("topic with no history and no subscriber kept: %+v", st)
	}
	s, _ := h.Subscribe([]string{"gone"}, first)
	defer s.Close()
	if r := s.Resume(); r.Outcome != ResumeLost || r.Reason != codec.ResetEvicted {
		t.Fatalf("resume into a forgotten topic: %+v", r)
	}
}

func TestKeepPublisherIDs(t *testing.T) {
	h := New(KeepPublisherIDs())
	defer h.Close()
	id, err := h.Publish("a", &codec.Event{ID: "p-1", Data: []byte("1")})
	if err != nil || id != "p-1" {
		t.Fatalf("publisher id not kept: %q %v", id, err)
	}
	hubID, _ := h.Publish("a", &codec.Event{Data: []byte("2")}) // no id: hub id
	h.Publish("a", &codec.Event{ID: "p-0", Data: []byte("3")})  // order is publish order
	s, _ := h.Subscribe([]string{"a"}, "p-1")
	evs, _ := drainAll(t, s)
	if s.Resume().Outcome != ResumeExact || !equal(ids(evs), []string{hubID, "p-0"}) {
		t.Fatalf("resume after publisher id: %+v %v", s.Resume(), ids(evs))
	}
	s.Close()
	s, _ = h.Subscribe([]string{"a"}, "p-9")
	if r := s.Resume(); r.Outcome != ResumeLost || r.Reason != codec.ResetUnknownID {
		t.Fatalf("unknown publisher id: %+v", r)
	}
	s.Close()
	// Without the option, the publisher's id is replaced.
	h2 := New()
	defer h2.Close()
	id, _ = h2.Publish("a", &codec.Event{ID: "p-1"})
	if id == "p-1" {
		t.Fatal("publisher id kept without KeepPublisherIDs")
	}
}

// seqs returns the sequence of each event's id (0 for another form).
func seqs(evs []*codec.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		_, out[i], _ = parseID(ev.ID)
	}
	return out
}

// increasing fails unless the ids of evs strictly increase.
func increasing(t *testing.T, evs []*codec.Event) {
	t.Helper()
	for i, s := range seqs(evs) {
		if i > 0 && s <= seqs(evs)[i-1] {
			t.Fatalf("ids go backwards at %d: %v", i, ids(evs))
		}
	}
}

// TestResetStandsAtTheGap: topic a lost events after the client's id, b
// did not. The stream is b's event inside the gap, the reset (whose id is
// the gap's end), then the rest: ids strictly increase, nothing held after
// the client's id is skipped, and the client's own event is not sent again.
func TestResetStandsAtTheGap(t *testing.T) {
	h := New(MaxHistoryEvents(3))
	defer h.Close()
	b1 := publishN(t, h, "b", 1)[0]              // seq 1
	publishN(t, h, "a", 3)                       // 2..4
	b5 := publishN(t, h, "b", 1)[0]              // 5
	a := publishN(t, h, "a", 6)                  // 6..11: a holds 9..11, evicted up to 8
	b12 := publishN(t, h, "b", 1)[0]             // 12
	a = append(a[3:], publishN(t, h, "a", 2)...) // a holds 11, 13, 14 after 2 more
	a = a[2:]
	s, _ := h.Subscribe([]string{"a", "b"}, b1)
	defer s.Close()
	if r := s.Resume(); r.Outcome != ResumeLost || r.Reason != codec.ResetEvicted {
		t.Fatalf("resume %+v", r)
	}
	evs, _ := drainAll(t, s)
	increasing(t, evs)
	if len(evs) < 2 || evs[0].ID != b5 || evs[1].Event != codec.ResetEventType || evs[1].ID != formatID(h.Epoch(), 10) {
		t.Fatalf("stream %v: want b's %s, then the reset at the gap", ids(evs), b5)
	}
	checkReset(t, evs[1:], b1, codec.ResetEvicted)
	if got, want := ids(evs[2:]), append([]string{a[0], b12}, a[1:]...); !equal(got, want) {
		t.Fatalf("after the reset %v, want %v", got, want)
	}
	// From the reset's id: exact. From b5 (the reset not seen): the gap
	// again, told again.
	s2, _ := h.Subscribe([]string{"a", "b"}, evs[1].ID)
	defer s2.Close()
	if evs2, _ := drainAll(t, s2); s2.Resume().Outcome != ResumeExact || !equal(ids(evs2), ids(evs[2:])) {
		t.Fatalf("from the reset id: %+v %v", s2.Resume(), ids(evs2))
	}
	s3, _ := h.Subscribe([]string{"a", "b"}, b5)
	defer s3.Close()
	if s3.Resume().Reason != codec.ResetEvicted {
		t.Fatalf("from inside the gap: %+v", s3.Resume())
	}
	// Garbage: the position is 0, the gap is everything evicted: the held
	// events below it, the reset, the rest.
	g, _ := h.Subscribe([]string{"a", "b"}, "garbage")
	defer g.Close()
	evs, _ = drainAll(t, g)
	increasing(t, evs)
	if len(evs) < 3 || evs[0].ID != b1 || evs[1].ID != b5 || evs[2].Event != codec.ResetEventType {
		t.Fatalf("garbage: %v", ids(evs))
	}
	checkReset(t, evs[2:], "garbage", codec.ResetInvalid)
}

// TestMaxReplay: a resume replays at most MaxReplay events; the reset
// stands in place of the oldest, its id the last one skipped.
func TestMaxReplay(t *testing.T) {
	h := New(MaxReplay(5))
	defer h.Close()
	a := publishN(t, h, "a", 10)
	b := publishN(t, h, "b", 10)
	s, _ := h.Subscribe([]string{"a", "b"}, a[0])
	defer s.Close()
	if r := s.Resume(); r.Outcome != ResumeLost || r.Reason != codec.ResetReplayLimit {
		t.Fatalf("resume %+v", r)
	}
	evs, _ := drainAll(t, s)
	increasing(t, evs)
	if evs[0].ID != b[4] {
		t.Fatalf("reset id %q, want the last skipped %q", evs[0].ID, b[4])
	}
	if rest := checkReset(t, evs, a[0], codec.ResetReplayLimit); !equal(ids(rest), b[5:]) {
		t.Fatalf("replayed %v", ids(rest))
	}
	// Within the limit: exact.
	s2, _ := h.Subscribe([]string{"a", "b"}, b[4])
	defer s2.Close()
	if evs, _ := drainAll(t, s2); s2.Resume().Outcome != ResumeExact || !equal(ids(evs), b[5:]) {
		t.Fatalf("within the limit: %+v %v", s2.Resume(), ids(evs))
	}
	// MaxReplay(0): nothing replayed; up to date is still exact.
	h0 := New(MaxReplay(0))
	defer h0.Close()
	p := publishN(t, h0, "a", 3)
	s3, _ := h0.Subscribe([]string{"a"}, p[0])
	defer s3.Close()
	if evs, _ := drainAll(t, s3); len(evs) != 1 || evs[0].ID != p[2] || s3.Resume().Reason != codec.ResetReplayLimit {
		t.Fatalf("MaxReplay(0): %+v %v", s3.Resume(), ids(evs))
	}
	s4, _ := h0.Subscribe([]string{"a"}, p[2])
	defer s4.Close()
	if s4.Resume().Outcome != ResumeExact {
		t.Fatalf("MaxReplay(0), up to date: %+v", s4.Resume())
	}
}

// TestHistoryBudget: all topics together hold at most the budget; the
// least recently published topic loses its events first.
func TestHistoryBudget(t *testing.T) {
	const budget = 10_000
	h := New(HistoryBudget(budget))
	defer h.Close()
	ev := &codec.Event{Data: []byte(strings.Repeat("x", 100))} // frames of ~120 bytes
	first := map[string]string{}
	for _, topic := range []string{"old", "mid", "new"} {
		for i := 0; i < 30; i++ {
			id, err := h.Publish(topic, ev)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first[topic] = id
			}
			if st := h.Stats(); st.HistoryBytes > budget {
				t.Fatalf("over the budget: %+v", st)
			}
		}
	}
	// 90 events of ~120 bytes do not fit 10,000: "old" went first.
	for topic, want := range map[string]ResumeOutcome{"old": ResumeLost, "mid": ResumeExact, "new": ResumeExact} {
		s, _ := h.Subscribe([]string{topic}, first[topic])
		if s.Resume().Outcome != want {
			t.Errorf("%s: %+v, want %v", topic, s.Resume(), want)
		}
		s.Close()
	}
	if st := h.Stats(); st.HistoryEvents >= 90 || st.HistoryBytes < budget-200 {
		t.Errorf("stats %+v: the budget should be used, not more", st)
	}
}

// TestForgedIDCopiesNothing: subscribers resuming from garbage on 16 full
// topics cost their position, not a copy of the history, and one Read
// hands out at most one batch.
func TestForgedIDCopiesNothing(t *testing.T) {
	const topics, subs = 16, 100
	h := New(MaxHistoryEvents(1000), MaxReplay(1<<30))
	defer h.Close()
	names := make([]string, topics)
	for i := range names {
		names[i] = fmt.Sprintf("t%02d", i)
		publishN(t, h, names[i], 1000)
	}
	before := memAfterGC().HeapInuse
	ss := make([]*Subscriber, subs)
	for i := range ss {
		ss[i], _ = h.Subscribe(names, "garbage")
	}
	grown := int64(memAfterGC().HeapInuse) - int64(before)
	var frames [][]byte
	frames, more, err := ss[0].Read(frames)
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	t.Logf("%d subscribers: heap +%d KiB (%d B each); history %d KiB; one read: %d frames, %d B",
		subs, grown>>10, grown/subs, h.Stats().HistoryBytes>>10, len(frames), size)
	if err != nil || !more || len(frames) > batchFrames || size > BatchBytes {
		t.Fatalf("one read: %d frames, %d bytes, more %v, %v", len(frames), size, more, err)
	}
	if grown > subs*8<<10 {
		t.Fatalf("heap grew %d bytes for %d subscribers: more than 8 KiB each", grown, subs)
	}
	for _, s := range ss {
		s.Close()
	}
}
