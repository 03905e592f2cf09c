package hub

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}

// drainAll drains s and returns the frames split into events.
func drainAll(t *testing.T, s *Subscriber) ([]*codec.Event, error) {
	t.Helper()
	b, err := s.Drain(nil)
	dec := codec.NewDecoder(strings.NewReader(string(b)))
	var evs []*codec.Event
	for {
		ev, derr := dec.Decode()
		if derr != nil {
			break
		}
		evs = append(evs, ev)
	}
	return evs, err
}

func TestPublishSubscribeBasic(t *testing.T) {
	h := New()
	defer h.Close()
	s, err := h.subscribeReady([]string{"a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id1, err := h.Publish("a", &codec.Event{Data: []byte("one")})
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := h.Publish("a", &codec.Event{Event: "x", Data: []byte("two")})
	if _, err := h.Publish("b", &codec.Event{Data: []byte("other")}); err != nil {
		t.Fatal(err)
	}
	<-s.Ready()
	evs, err := drainAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].ID != id1 || string(evs[0].Data) != "one" || evs[1].ID != id2 || evs[1].Event != "x" {
		t.Fatalf("got %+v", evs)
	}
	if !strings.HasPrefix(id1, h.Epoch()+"-") {
		t.Fatalf("id %q lacks epoch %q", id1, h.Epoch())
	}
	// Resume after the first id: exactly the second.
	s2, err := h.subscribeReady([]string{"a"}, id1)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if r := s2.Resume(); r.Outcome != ResumeExact {
		t.Fatalf("resume %+v", r)
	}
	evs, _ = drainAll(t, s2)
	if len(evs) != 1 || evs[0].ID != id2 {
		t.Fatalf("replay %+v", evs)
	}
	st := h.Stats()
	if st.Published != 3 || st.Subscribers != 2 || st.Topics != 2 || st.HistoryEvents != 3 {
		t.Fatalf("stats %+v", st)
	}
	s.Close()
	if _, err := s.Drain(nil); !errors.Is(err, ErrUnsubscribed) {
		t.Fatalf("drain after close: %v", err)
	}
}

func TestCloseEndsSubscribers(t *testing.T) {
	h := New()
	s, err := h.subscribeReady([]string{"a"}, "")
	if err != nil {
		t.Fatal(err)
	}
	h.Publish("a", &codec.Event{Data: []byte("x")})
	h.Close()
	evs, err := drainAll(t, s)
	if err != nil || len(evs) != 1 {
		t.Fatalf("pending frames before ErrClosed: %v %v", evs, err)
	}
	if _, err := s.Drain(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("want ErrClosed, got %v", err)
	}
	if _, err := h.Publish("a", &codec.Event{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
	s.Close()
}
