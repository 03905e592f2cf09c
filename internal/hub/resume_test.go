package hub

import (
	"encoding/json"
	"fmt"
	"testing"

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
	if len(evs) == 0 || evs[0].Event != ResetEventType {
		t.Fatalf("first frame is not %s: %v", ResetEventType, evs)
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
		{"other epoch", oldID, ReasonOtherEpoch},
		{"evicted", pub[2], ReasonEvicted},
		{"garbage", "hello, world", ReasonInvalid},
		{"epoch only", h.Epoch() + "-", ReasonInvalid},
		{"overflow", h.Epoch() + "-zzzzzzzzzzzzz", ReasonInvalid},
		{"leading zero", h.Epoch() + "-01", ReasonInvalid},
		{"future", future, ReasonInvalid},
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
	h := New(MaxHistoryEvents(2))
	defer h.Close()
	first := publishN(t, h, "gone", 1)[0]
	publishN(t, h, "gone", 2) // evicts first
	h.Apply(MaxHistoryEvents(0))
	if st := h.Stats(); st.Topics != 0 {
		t.Fatalf("topic with no history and no subscriber kept: %+v", st)
	}
	h.Apply(MaxHistoryEvents(10))
	s, _ := h.Subscribe([]string{"gone"}, first)
	defer s.Close()
	if r := s.Resume(); r.Outcome != ResumeLost || r.Reason != ReasonEvicted {
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
	if r := s.Resume(); r.Outcome != ResumeLost || r.Reason != ReasonUnknownID {
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
