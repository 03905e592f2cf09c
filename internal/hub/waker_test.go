package hub

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// TestWakerWakesEveryIdleSubscriber: subscribers on one to three topics
// wake through one Waker; after each publish, every subscriber of the
// topic is handed over (no wake-up lost) and reads the event, whatever
// its other topics did meanwhile; subscribers leave and join while listed,
// and once all have left the topics' wait lists hold nobody.
func TestWakerWakesEveryIdleSubscriber(t *testing.T) {
	h := New(MaxHistoryEvents(1000))
	defer h.Close()
	kick := make(chan struct{}, 1)
	w := NewWaker(func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	})
	topics := []string{"a", "b", "c"}
	r := rand.New(rand.NewPCG(1, 2))
	subs := map[*Subscriber]*wakerSub{}
	join := func() {
		tp := slices.Clone(topics[:1+r.IntN(3)])
		r.Shuffle(len(tp), func(i, j int) { tp[i], tp[j] = tp[j], tp[i] })
		s, err := h.Subscribe(tp, "", WakeWith(w), Owner(len(subs)))
		if err != nil {
			t.Fatal(err)
		}
		subs[s] = &wakerSub{topics: tp}
	}
	for range 30 {
		join()
	}
	var taken []*Subscriber
	var frames [][]byte
	for i := range 300 {
		if i%25 == 24 { // one leaves while listed, another joins
			for s := range subs {
				s.Close()
				delete(subs, s)
				break
			}
			join()
		}
		topic := topics[r.IntN(len(topics))]
		id, err := h.Publish(topic, &codec.Event{Data: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		var want []*wakerSub
		for _, sb := range subs {
			if slices.Contains(sb.topics, topic) {
				want = append(want, sb)
			}
		}
		for !allRead(want, id) {
			select {
			case <-kick:
			case <-time.After(time.Minute):
				t.Fatalf("publish %d on %s: a wake-up was lost", i, topic)
			}
			taken = w.Take(taken[:0])
			for _, s := range taken {
				sb := subs[s]
				for sb != nil {
					var more bool
					frames, more, err = s.Read(frames[:0])
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range frames {
						evs := decodeAll(t, f)
						sb.last = evs[len(evs)-1].ID
					}
					if !more {
						break
					}
				}
			}
		}
	}
	for s := range subs {
		s.Close()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, tp := range h.topics {
		for _, l := range tp.waiting {
			if len(l.subs) != 0 {
				t.Errorf("topic %s: %d subscribers left in a wait list", name, len(l.subs))
			}
		}
	}
}

// wakerSub is a subscriber of TestWakerWakesEveryIdleSubscriber.
type wakerSub struct {
	topics []string
	last   string // id of the last event read
}

// allRead reports whether every subscriber of subs has read up to id.
func allRead(subs []*wakerSub, id string) bool {
	for _, sb := range subs {
		if sb.last != id {
			return false
		}
	}
	return true
}
