package hub

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// fakeClock replaces h's clock with one the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now int64
}

func (c *fakeClock) get() int64 { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now += int64(d)
	c.mu.Unlock()
}

func withFakeClock(h *Hub) *fakeClock {
	c := &fakeClock{now: 1}
	h.mu.Lock()
	h.clock = c.get
	h.mu.Unlock()
	return c
}

func TestExplicitTopics(t *testing.T) {
	h := New(ExplicitTopics(), MaxHistoryEvents(0))
	defer h.Close()
	if _, err := h.Publish("a", &codec.Event{Data: []byte("x")}); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("publish to unknown: %v", err)
	}
	if _, err := h.subscribeReady([]string{"a"}, ""); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("subscribe to unknown: %v", err)
	}
	if err := h.CreateTopic("a"); err != nil {
		t.Fatal(err)
	}
	if err := h.CreateTopic("a"); err != nil {
		t.Fatalf("CreateTopic twice: %v", err)
	}
	s, err := h.subscribeReady([]string{"a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.subscribeReady([]string{"a", "b"}, ""); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("subscribe with one unknown: %v", err)
	}
	if _, err := h.Publish("a", &codec.Event{Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	s.Close() // no history, no subscriber: a created topic stays
	if st := h.Stats(); st.Topics != 1 || st.Subscribers != 0 {
		t.Fatalf("created topic forgotten: %+v", st)
	}
	if err := h.CreateTopic(""); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("empty name: %v", err)
	}
}

func TestInvalidInput(t *testing.T) {
	h := New()
	defer h.Close()
	for _, name := range []string{"", "a\nb", "a\x00", strings.Repeat("x", maxTopicLen+1), "\xff"} {
		if _, err := h.Publish(name, &codec.Event{}); !errors.Is(err, ErrInvalidTopic) {
			t.Fatalf("publish %q: %v", name, err)
		}
		if _, err := h.subscribeReady([]string{"ok", name}, ""); !errors.Is(err, ErrInvalidTopic) {
			t.Fatalf("subscribe %q: %v", name, err)
		}
	}
	if _, err := h.Subscribe(nil, ""); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("no topic: %v", err)
	}
	if _, err := h.Publish("a", &codec.Event{Data: []byte{0xff}}); !errors.Is(err, codec.ErrInvalidUTF8) {
		t.Fatalf("invalid utf-8: %v", err)
	}
	if _, err := h.Publish("a", &codec.Event{Event: "x\ny"}); !errors.Is(err, codec.ErrInvalidEvent) {
		t.Fatalf("invalid event: %v", err)
	}
	if st := h.Stats(); st.Published != 0 || st.Topics != 0 {
		t.Fatalf("refused publishes left state: %+v", st)
	}
	h = New(WithDataEncoding(codec.DataBase64))
	defer h.Close()
	s, _ := h.subscribeReady([]string{"a"}, "")
	defer s.Close()
	if _, err := h.Publish("a", &codec.Event{Data: []byte{0xff}}); err != nil {
		t.Fatalf("base64: %v", err)
	}
	b, _ := s.Drain(nil)
	if !strings.Contains(string(b), "data: /w==\n") {
		t.Fatalf("base64 frame %q", b)
	}
}

func TestHistoryBounds(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		h := New(MaxHistoryEvents(5))
		defer h.Close()
		pub := publishN(t, h, "a", 12)
		if st := h.Stats(); st.HistoryEvents != 5 {
			t.Fatalf("stats %+v", st)
		}
		s, _ := h.subscribeReady([]string{"a"}, pub[6])
		defer s.Close()
		evs, _ := drainAll(t, s)
		if s.Resume().Outcome != ResumeExact || !equal(ids(evs), pub[7:]) {
			t.Fatalf("%+v %v", s.Resume(), ids(evs))
		}
	})
	t.Run("bytes", func(t *testing.T) {
		h := New(MaxHistoryBytes(1000))
		defer h.Close()
		for i := 0; i < 50; i++ {
			h.Publish("a", &codec.Event{Data: []byte(strings.Repeat("x", 90))})
		}
		st := h.Stats()
		if st.HistoryBytes > 1000 || st.HistoryBytes < 800 || st.HistoryEvents >= 50 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("age", func(t *testing.T) {
		h := New(MaxHistoryAge(time.Minute))
		defer h.Close()
		c := withFakeClock(h)
		old := publishN(t, h, "a", 3)
		c.add(40 * time.Second)
		fresh := publishN(t, h, "a", 2)
		c.add(30 * time.Second) // old ones are 70s old, fresh 30s
		s, _ := h.subscribeReady([]string{"a"}, "")
		defer s.Close()
		if st := h.Stats(); st.HistoryEvents != 2 {
			t.Fatalf("expired events held: %+v", st)
		}
		s2, _ := h.subscribeReady([]string{"a"}, old[0])
		defer s2.Close()
		evs, _ := drainAll(t, s2)
		if r := s2.Resume(); r.Outcome != ResumeLost || r.Reason != codec.ResetEvicted {
			t.Fatalf("resume into expired history: %+v", r)
		}
		if rest := checkReset(t, evs, old[0], codec.ResetEvicted); !equal(ids(rest), fresh) {
			t.Fatalf("held after expiry %v want %v", ids(rest), fresh)
		}
	})
	t.Run("none", func(t *testing.T) {
		h := New(MaxHistoryEvents(0))
		defer h.Close()
		pub := publishN(t, h, "a", 2)
		if st := h.Stats(); st.HistoryEvents != 0 || st.Topics != 0 {
			t.Fatalf("stats %+v", st)
		}
		s, _ := h.subscribeReady([]string{"a"}, pub[0])
		defer s.Close()
		if r := s.Resume(); r.Outcome != ResumeLost {
			t.Fatalf("%+v", r)
		}
		s2, _ := h.subscribeReady([]string{"a"}, pub[1])
		defer s2.Close()
		if r := s2.Resume(); r.Outcome != ResumeExact {
			t.Fatalf("resume at the newest id: %+v", r)
		}
	})
}

// TestAgeSweepForgetsTopics checks that topics nobody publishes to or
// subscribes to any more are freed by the hub's sweep once their history
// expired, with no publish or subscribe to trigger it.
func TestAgeSweepForgetsTopics(t *testing.T) {
	h := New(MaxHistoryAge(time.Hour))
	defer h.Close()
	c := withFakeClock(h)
	for i := 0; i < 100; i++ {
		publishN(t, h, "t"+string(rune('A'+i%50))+string(rune('a'+i/50)), 2)
	}
	c.add(30 * time.Minute)
	publishN(t, h, "late", 1)
	s, _ := h.subscribeReady([]string{"tAa"}, "")
	defer s.Close()
	if st := h.Stats(); st.Topics != 101 || st.HistoryEvents != 201 {
		t.Fatalf("before expiry: %+v", st)
	}
	h.mu.Lock()
	armed := h.sweepArmed
	h.mu.Unlock()
	if !armed {
		t.Fatal("sweep timer not armed while history is held")
	}
	c.add(31 * time.Minute)
	h.sweep() // what the timer runs
	st := h.Stats()
	// "late" is 31 minutes old: kept. "tAa" has a subscriber: kept, history freed.
	if st.Topics != 2 || st.HistoryEvents != 1 || st.HistoryBytes == 0 {
		t.Fatalf("after expiry: %+v", st)
	}
	c.add(time.Hour)
	h.sweep()
	if st := h.Stats(); st.Topics != 1 || st.HistoryEvents != 0 || st.HistoryBytes != 0 {
		t.Fatalf("after all expired: %+v", st)
	}
	h.mu.Lock()
	armed = h.sweepArmed
	h.mu.Unlock()
	if armed {
		t.Fatal("sweep timer armed with nothing to expire")
	}
	s.Close()
	if st := h.Stats(); st.Topics != 0 {
		t.Fatalf("topic kept after last subscriber left: %+v", st)
	}
}

// TestSweepTimerFires runs the real timer with a short age.
func TestSweepTimerFires(t *testing.T) {
	h := New(MaxHistoryAge(20 * time.Millisecond))
	defer h.Close()
	publishN(t, h, "a", 3)
	waitFor(t, func() bool { return h.Stats().Topics == 0 }, "the timer to sweep the expired topic")
}

func TestTopicForgottenWithoutHistoryOrSubscribers(t *testing.T) {
	h := New()
	defer h.Close()
	for i := 0; i < 1000; i++ {
		s, err := h.subscribeReady([]string{strings.Repeat("n", i%200+1) + "x"}, "")
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if st := h.Stats(); st.Topics != 0 || st.Subscribers != 0 {
		t.Fatalf("topics held: %+v", st)
	}
}

// TestEvictedSubscriberEnded: a subscriber that reads nothing is not cut
// off while what it has not read is in history (a burst as long as the
// history is fine), and is ended with ErrEvicted, counted and notified,
// by the publish that evicts its position; the other subscriber is not
// affected.
func TestEvictedSubscriberEnded(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  Option
		fit  int // publishes that the history holds
	}{
		{"count", MaxHistoryEvents(4), 4},
		{"bytes", MaxHistoryBytes(300), 2}, // frames of ~120 bytes
		{"budget", HistoryBudget(300), 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := New(c.opt)
			defer h.Close()
			var notified int
			var mu sync.Mutex
			slow, _ := h.Subscribe([]string{"a"}, "", Notify(func() { mu.Lock(); notified++; mu.Unlock() }))
			fast, _ := h.subscribeReady([]string{"a"}, "")
			defer fast.Close()
			publish := func() {
				t.Helper()
				if _, err := h.Publish("a", &codec.Event{Data: []byte(strings.Repeat("x", 90))}); err != nil {
					t.Fatal(err)
				}
				if _, err := fast.Drain(nil); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < c.fit; i++ {
				publish()
			}
			if st := h.Stats(); st.CutOffSlow != 0 || slow.Err() != nil {
				t.Fatalf("ended while its events are in history: %+v, %v", st, slow.Err())
			}
			publish()
			if st := h.Stats(); st.CutOffSlow != 1 || st.Subscribers != 1 {
				t.Fatalf("stats %+v", st)
			}
			mu.Lock()
			n := notified
			mu.Unlock()
			if n != 2 { // something to read, then ended
				t.Fatalf("notified %d times", n)
			}
			if b, err := slow.Drain(nil); !errors.Is(err, ErrEvicted) || len(b) != 0 || !errors.Is(slow.Err(), ErrEvicted) {
				t.Fatalf("slow drain: %q %v", b, err)
			}
			slow.Close()
			if _, err := slow.Drain(nil); !errors.Is(err, ErrEvicted) {
				t.Fatalf("reason changed by Close: %v", err)
			}
		})
	}
}

func TestDrainAppendsAllPending(t *testing.T) {
	h := New()
	defer h.Close()
	s, _ := h.subscribeReady([]string{"a", "b"}, "")
	defer s.Close()
	var want []byte
	for i := 0; i < 300; i++ {
		topic := "a"
		if i%3 == 0 {
			topic = "b"
		}
		ev := &codec.Event{Data: []byte(strings.Repeat("y", i))}
		id, _ := h.Publish(topic, ev)
		ev.ID = id
		want, _ = ev.AppendTo(want)
	}
	<-s.Ready()
	got, err := s.Drain([]byte("prefix"))
	if err != nil || string(got) != "prefix"+string(want) {
		t.Fatalf("drain: %v, %d bytes, want %d", err, len(got), len(want)+6)
	}
	select {
	case <-s.Ready():
		t.Fatal("Notify called more than once for one batch")
	default:
	}
	if got, _ := s.Drain(got[:0]); len(got) != 0 {
		t.Fatalf("second drain %q", got)
	}
}

// TestNoHistoryServesLiveReaders: without history (a zero bound) live
// readers still get every event; what every subscriber has read is freed
// at the next publish, so a resume replays nothing; a reader further
// behind than the live window is ended.
func TestNoHistoryServesLiveReaders(t *testing.T) {
	for _, opt := range []Option{MaxHistoryEvents(0), MaxHistoryBytes(0), HistoryBudget(0)} {
		h := New(opt)
		reader, _ := h.subscribeReady([]string{"a"}, "")
		stalled, _ := h.subscribeReady([]string{"a"}, "")
		var got []string
		for i := 0; i < 3; i++ {
			got = append(got, publishN(t, h, "a", 1)...)
			if evs, err := drainAll(t, reader); err != nil || len(evs) != 1 || evs[0].ID != got[i] {
				t.Fatalf("live reader: %v %v", ids(evs), err)
			}
		}
		stalled.Close()
		publishN(t, h, "a", 1)
		if st := h.Stats(); st.HistoryEvents != 1 {
			t.Fatalf("held %d events, want only the one not read yet: %+v", st.HistoryEvents, st)
		}
		s, _ := h.subscribeReady([]string{"a"}, got[0])
		if s.Resume().Outcome != ResumeLost {
			t.Fatalf("resume without history: %+v", s.Resume())
		}
		s.Close()
		for i := 0; i <= liveWindowEvents; i++ {
			h.Publish("a", &codec.Event{Data: []byte("x")})
		}
		if _, err := reader.Drain(nil); !errors.Is(err, ErrEvicted) {
			t.Fatalf("a reader behind the live window: %v", err)
		}
		h.Close()
	}
}
