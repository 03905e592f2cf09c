package hub

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// TestHooksSerializedInOrder subscribes, closes and publishes (cutting off
// subscribers that fall behind a one-event history) from many goroutines, and checks that
// hook calls never overlap and that, per topic, OnSubscribe and
// OnUnsubscribe alternate, ending unsubscribed: the calls are made in the
// order of the changes, whichever goroutine makes them.
func TestHooksSerializedInOrder(t *testing.T) {
	var inHook atomic.Int32
	var mu sync.Mutex
	subscribed := map[string]bool{}
	calls := 0
	hook := func(sub bool) func(string) {
		return func(topic string) {
			if inHook.Add(1) != 1 {
				t.Error("hooks called concurrently")
			}
			mu.Lock()
			if subscribed[topic] == sub {
				t.Errorf("topic %s: hook subscribe=%v twice in a row", topic, sub)
			}
			subscribed[topic] = sub
			calls++
			mu.Unlock()
			inHook.Add(-1)
		}
	}
	h := New(MaxHistoryEvents(1), OnSubscribe(hook(true)), OnUnsubscribe(hook(false)))
	defer h.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 3))
			for i := 0; i < 300; i++ {
				topic := fmt.Sprintf("t%d", r.IntN(4))
				if r.IntN(3) == 0 {
					if _, err := h.Publish(topic, &codec.Event{Data: []byte("x")}); err != nil {
						t.Error(err)
					}
					continue
				}
				s, err := h.Subscribe([]string{topic, fmt.Sprintf("t%d", r.IntN(4))}, "")
				if err != nil {
					t.Error(err)
					return
				}
				if r.IntN(2) == 0 {
					s.Drain(nil)
				}
				s.Close()
			}
		}()
	}
	wg.Wait()
	// A publish whose TryLock failed leaves its calls to the goroutine
	// making calls: all are made once every Subscribe/Close returned.
	mu.Lock()
	defer mu.Unlock()
	for topic, sub := range subscribed {
		if sub {
			t.Errorf("topic %s left subscribed", topic)
		}
	}
	if st := h.Stats(); st.Subscribers != 0 || calls == 0 {
		t.Fatalf("stats %+v, %d calls", st, calls)
	}
	t.Logf("%d hook calls, %d cut off", calls, h.Stats().CutOffSlow)
}

// TestHookPanicRecovered: a hook that panics does not take down the
// goroutine that made the change (it used to crash the process from a
// Close), and the hooks queued after it still run.
func TestHookPanicRecovered(t *testing.T) {
	var unsubscribed []string
	h := New(
		OnSubscribe(func(topic string) {
			if topic == "boom" {
				panic("hook of the user broke")
			}
		}),
		OnUnsubscribe(func(topic string) {
			unsubscribed = append(unsubscribed, topic)
			if topic == "boom" {
				panic("hook of the user broke again")
			}
		}))
	defer h.Close()
	s, err := h.Subscribe([]string{"boom", "fine"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Publish("fine", &codec.Event{Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if len(unsubscribed) != 2 {
		t.Fatalf("OnUnsubscribe ran for %q, want both topics", unsubscribed)
	}
}
