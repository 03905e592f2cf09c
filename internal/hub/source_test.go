package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// fakeSource is an in-memory outside log: every record ever appended,
// from first on (older ones are gone).
type fakeSource struct {
	mu      sync.Mutex
	recs    []Record
	first   uint64 // lowest sequence still held
	fail    error  // returned by every Fetch when set
	calls   int
	maxRecs int // most records one Fetch returned
}

func (f *fakeSource) add(r Record) {
	f.mu.Lock()
	f.recs = append(f.recs, r)
	f.mu.Unlock()
}

func (f *fakeSource) Fetch(ctx context.Context, r Range) ([]Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	if r.After+1 < f.first {
		return nil, fmt.Errorf("fake source: first sequence %d: %w", f.first, ErrGone)
	}
	on := map[string]bool{}
	for _, t := range r.Topics {
		on[t] = true
	}
	var out []Record
	data := 0
	for _, rec := range f.recs {
		if rec.Seq <= r.After || rec.Seq > r.UpTo || !on[rec.Topic] {
			continue
		}
		if len(out) == r.MaxEvents || data >= r.MaxBytes {
			break
		}
		out = append(out, rec)
		data += len(rec.Event.Data)
	}
	f.maxRecs = max(f.maxRecs, len(out))
	return out, nil
}

// record returns the record of seq on topic, with data "<topic>-<seq>".
func record(topic string, seq uint64) Record {
	return Record{Topic: topic, Seq: seq, Event: codec.Event{Data: []byte(fmt.Sprintf("%s-%d", topic, seq))}}
}

// fedLog builds a stream of n records over topics a, b and c (seq i goes
// to topics[i%3], with every 7th sequence skipped: gaps are allowed), puts
// all of it in src and appends the records from start on to h.
func fedLog(t *testing.T, h *Hub, src *fakeSource, n int, start uint64) []Record {
	t.Helper()
	var all []Record
	for seq := uint64(1); seq <= uint64(n); seq++ {
		if seq%7 == 0 {
			continue
		}
		r := record([]string{"a", "b", "c"}[seq%3], seq)
		all = append(all, r)
		src.add(r)
		if seq >= start {
			if _, err := h.Append(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	return all
}

// readN reads from s until it has n events (a liveness bound, not a
// timing assertion), failing on an error.
func readN(t *testing.T, s *Subscriber, n int) []*codec.Event {
	t.Helper()
	var evs []*codec.Event
	var frames [][]byte
	for len(evs) < n {
		var more bool
		var err error
		frames, more, err = s.Read(frames[:0])
		for _, f := range frames {
			evs = append(evs, decodeAll(t, f)...)
		}
		if err != nil {
			t.Fatalf("after %d events: %v", len(evs), err)
		}
		if len(frames) > batchFrames {
			t.Fatalf("a batch of %d frames", len(frames))
		}
		if !more && len(evs) < n {
			select {
			case <-s.Ready():
			case <-time.After(time.Minute):
				t.Fatalf("waited a minute with %d of %d events", len(evs), n)
			}
		}
	}
	return evs
}

// wantAfter returns the ids of the records of topics above seq.
func wantAfter(h *Hub, all []Record, seq uint64, topics ...string) []string {
	var ids []string
	for _, r := range all {
		for _, t := range topics {
			if r.Topic == t && r.Seq > seq {
				ids = append(ids, formatID(h.Epoch(), r.Seq))
			}
		}
	}
	return ids
}

func TestFedAppend(t *testing.T) {
	src := &fakeSource{}
	h := New(WithEpoch("js1a"), WithSource(src))
	defer h.Close()
	if h.Epoch() != "js1a" {
		t.Fatalf("epoch %q", h.Epoch())
	}
	if _, err := h.Publish("a", &codec.Event{Data: []byte("x")}); !errors.Is(err, ErrFed) {
		t.Fatalf("publish on a fed hub: %v", err)
	}
	s, _ := h.subscribeReady([]string{"a"}, "")
	defer s.Close()
	if id, err := h.Append(record("a", 40)); err != nil || id != "js1a-14" {
		t.Fatalf("append: %q %v", id, err)
	}
	for _, seq := range []uint64{40, 39} {
		if _, err := h.Append(record("a", seq)); !errors.Is(err, ErrStale) {
			t.Fatalf("append %d again: %v", seq, err)
		}
	}
	h.Append(record("a", 41))
	evs := readN(t, s, 2)
	if got := ids(evs); !equal(got, []string{"js1a-14", "js1a-15"}) || string(evs[1].Data) != "a-41" {
		t.Fatalf("got %v", got)
	}
	if st := h.Stats(); st.Published != 2 {
		t.Fatalf("stale appends counted: %+v", st)
	}
	for _, bad := range []string{"", "ABC", "a-b", strings.Repeat("x", maxEpochLen+1)} {
		func() {
			defer func() {
				if r := recover(); r == nil || !errors.Is(r.(error), errInvalidEpoch) {
					t.Errorf("epoch %q: recovered %v", bad, r)
				}
			}()
			New(WithEpoch(bad), WithEpoch(bad)).Close()
			if bad == "" {
				panic(errInvalidEpoch) // empty means random: nothing to refuse
			}
		}()
	}
}

// TestFedResumeFromSource: the local log starts at 1,500 and holds 200
// events per topic; a client resuming at 10 gets every event of its topics
// after 10, the old ones fetched from the source in bounded batches, merged
// in id order with the local log, then live ones: no gap, no duplicate.
func TestFedResumeFromSource(t *testing.T) {
	src := &fakeSource{first: 1}
	h := New(WithEpoch("e"), WithSource(src), MaxHistoryEvents(200))
	defer h.Close()
	all := fedLog(t, h, src, 3000, 1500)
	s, err := h.subscribeReady([]string{"a", "b"}, formatID("e", 10))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r := s.Resume(); r.Outcome != ResumeExact {
		t.Fatalf("resume %+v", r)
	}
	want := wantAfter(h, all, 10, "a", "b")
	evs := readN(t, s, len(want))
	if got := ids(evs); !equal(got, want) {
		t.Fatalf("got %d events, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	src.mu.Lock()
	calls, maxRecs := src.calls, src.maxRecs
	src.mu.Unlock()
	if calls < 2 || maxRecs > batchFrames {
		t.Fatalf("%d fetches, at most %d records each", calls, maxRecs)
	}
	// Live events follow.
	r := record("b", 3001)
	h.Append(r)
	if evs := readN(t, s, 1); evs[0].ID != formatID("e", 3001) {
		t.Fatalf("live after the replay: %v", ids(evs))
	}
	t.Logf("%d events, %d fetches", len(want), calls)
}

// TestFedReaderBehindEvictionIsFilled: a reader that falls behind the local
// log is not ended (evicted) on a fed hub: what it lacks is fetched.
func TestFedReaderBehindEvictionIsFilled(t *testing.T) {
	src := &fakeSource{first: 1}
	h := New(WithEpoch("e"), WithSource(src), MaxHistoryEvents(10))
	defer h.Close()
	s, _ := h.subscribeReady([]string{"a", "c"}, "")
	defer s.Close()
	all := fedLog(t, h, src, 600, 1)
	want := wantAfter(h, all, 0, "a", "c")
	if got := ids(readN(t, s, len(want))); !equal(got, want) {
		t.Fatalf("first difference at %d of %d", firstDiff(got, want), len(want))
	}
	if st := h.Stats(); st.CutOffSlow != 0 {
		t.Fatalf("evicted on a fed hub: %+v", st)
	}
}

// TestFedSourceGone: the source no longer holds the range: a reset
// (evicted) stands at the gap, then what the local log holds.
func TestFedSourceGone(t *testing.T) {
	src := &fakeSource{first: 300}
	h := New(WithEpoch("e"), WithSource(src))
	defer h.Close()
	all := fedLog(t, h, src, 1000, 500)
	last := formatID("e", 10)
	s, _ := h.subscribeReady([]string{"a", "b"}, last)
	defer s.Close()
	want := wantAfter(h, all, 499, "a", "b")
	evs := readN(t, s, len(want)+1)
	if evs[0].ID != formatID("e", 499) {
		t.Fatalf("reset id %q, want the gap's end %q", evs[0].ID, formatID("e", 499))
	}
	rest := checkReset(t, evs, last, codec.ResetEvicted)
	if got := ids(rest); !equal(got, want) {
		t.Fatalf("after the reset: first difference at %d", firstDiff(got, want))
	}
}

// TestFedSourceFails: any other error of the source ends the subscriber.
func TestFedSourceFails(t *testing.T) {
	down := errors.New("nats down")
	src := &fakeSource{first: 1, fail: down}
	h := New(WithEpoch("e"), WithSource(src))
	defer h.Close()
	fedLog(t, h, src, 100, 50)
	s, _ := h.subscribeReady([]string{"a"}, formatID("e", 3))
	defer s.Close()
	for {
		_, more, err := s.Read(nil)
		if err != nil {
			if !errors.Is(err, down) || !errors.Is(s.Err(), down) {
				t.Fatalf("ended with %v", err)
			}
			break
		}
		if !more {
			<-s.Ready()
		}
	}
}

// TestFedAheadAndBeforeStart: an id above the last appended sequence (a
// client from a node that is ahead) waits there; an id given before the
// first append is filled from the source once the log starts above it.
func TestFedAheadAndBeforeStart(t *testing.T) {
	src := &fakeSource{first: 1}
	h := New(WithEpoch("e"), WithSource(src))
	defer h.Close()
	early, _ := h.subscribeReady([]string{"b"}, formatID("e", 20))
	defer early.Close()
	live, _ := h.subscribeReady([]string{"b"}, "")
	defer live.Close()
	all := fedLog(t, h, src, 200, 100)
	ahead, _ := h.subscribeReady([]string{"b"}, formatID("e", 150))
	defer ahead.Close()
	if ahead.Resume().Outcome != ResumeExact {
		t.Fatalf("ahead: %+v", ahead.Resume())
	}
	for seq := uint64(201); seq <= 260; seq++ {
		r := record("b", seq)
		all = append(all, r)
		src.add(r)
		h.Append(r)
	}
	if got, want := ids(readN(t, ahead, len(wantAfter(h, all, 150, "b")))), wantAfter(h, all, 150, "b"); !equal(got, want) {
		t.Fatalf("ahead: %v want %v", got, want)
	}
	if got, want := ids(readN(t, early, len(wantAfter(h, all, 20, "b")))), wantAfter(h, all, 20, "b"); !equal(got, want) {
		t.Fatalf("before start: first difference at %d", firstDiff(got, want))
	}
	if got, want := ids(readN(t, live, len(wantAfter(h, all, 99, "b")))), wantAfter(h, all, 99, "b"); !equal(got, want) {
		t.Fatalf("live from the start: first difference at %d", firstDiff(got, want))
	}
}

// firstDiff returns the first index where a and b differ.
func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestFedWithStart: a node that knows where its log starts (WithStart)
// fills a resume below it from the source at once, before any append, and
// refuses appends below it.
func TestFedWithStart(t *testing.T) {
	src := &fakeSource{first: 1}
	var all []Record
	for seq := uint64(1); seq < 100; seq++ {
		r := record("a", seq)
		all = append(all, r)
		src.add(r)
	}
	h := New(WithEpoch("e"), WithSource(src), WithStart(100))
	defer h.Close()
	s, _ := h.subscribeReady([]string{"a"}, formatID("e", 90))
	defer s.Close()
	if got, want := ids(readN(t, s, 9)), wantAfter(h, all, 90, "a"); !equal(got, want) {
		t.Fatalf("before any append: %v, want %v", got, want)
	}
	if _, err := h.Append(record("a", 99)); !errors.Is(err, ErrStale) {
		t.Fatalf("append below the start: %v", err)
	}
	if _, err := h.Append(record("a", 100)); err != nil {
		t.Fatal(err)
	}
	if evs := readN(t, s, 1); evs[0].ID != formatID("e", 100) {
		t.Fatalf("live: %v", ids(evs))
	}
}
