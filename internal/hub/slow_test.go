package hub

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// readerPool drains many subscribers with a few goroutines, woken through
// Notify (a goroutine per subscriber would exceed the race detector's
// limit and is what the Notify callback lets a server avoid).
type readerPool struct {
	mu      sync.Mutex
	pending []int // subscribers notified, not yet drained
	wake    chan struct{}
}

func (p *readerPool) notify(i int) func() {
	return func() {
		p.mu.Lock()
		p.pending = append(p.pending, i)
		p.mu.Unlock()
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// frameData returns the data line of each frame in b (one line each).
func frameData(b []byte) []string {
	var out []string
	for _, f := range strings.SplitAfter(string(b), "\n\n") {
		if i := strings.Index(f, "data: "); i >= 0 {
			out = append(out, f[i+len("data: "):i+strings.IndexByte(f[i:], '\n')])
		}
	}
	return out
}

// TestStuckSubscriber: one subscriber never reads while 10,000 others do.
// Every publish returns without waiting; the stuck one is ended once its
// position leaves the history (queue events), and counted; the others
// receive every event, in order.
func TestStuckSubscriber(t *testing.T) {
	const (
		readers   = 10_000
		workers   = 8
		events    = 100
		queue     = 32 // history events
		batch     = 25 // publishes between waits for the readers (< queue)
		dataBytes = 16
	)
	h := New(MaxHistoryEvents(queue))
	defer h.Close()
	stuck, err := h.Subscribe([]string{"news"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()

	pools := make([]*readerPool, workers)
	subs := make([]*Subscriber, readers)
	got := make([]int, readers)   // events received, owned by the worker
	bad := make([]error, readers) // first failure per reader
	var received atomic.Int64     // total, for pacing
	var target atomic.Int64       // total the publisher waits for
	caughtUp := make(chan struct{}, 1)
	for w := range pools {
		pools[w] = &readerPool{wake: make(chan struct{}, 1)}
	}
	for i := range subs {
		s, err := h.Subscribe([]string{"news"}, "", Notify(pools[i%workers].notify(i)))
		if err != nil {
			t.Fatal(err)
		}
		subs[i] = s
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range pools {
		p := pools[w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for {
				select {
				case <-p.wake:
				case <-stop:
					return
				}
				p.mu.Lock()
				todo := p.pending
				p.pending = nil
				p.mu.Unlock()
				for _, i := range todo {
					var err error
					buf, err = subs[i].Drain(buf[:0])
					if err != nil && bad[i] == nil {
						bad[i] = err
					}
					for _, data := range frameData(buf) {
						if want := fmt.Sprintf("%0*d", dataBytes, got[i]); data != want && bad[i] == nil {
							bad[i] = fmt.Errorf("event %d: data %q want %q", got[i], data, want)
						}
						got[i]++
						if received.Add(1) >= target.Load() {
							select {
							case caughtUp <- struct{}{}:
							default:
							}
						}
					}
				}
			}
		}()
	}

	for i := 0; i < events; i++ {
		if _, err := h.Publish("news", &codec.Event{Data: []byte(fmt.Sprintf("%0*d", dataBytes, i))}); err != nil {
			t.Fatal(err)
		}
		if (i+1)%batch == 0 || i == events-1 {
			// Pace the publisher so that the readers (not the stuck one) keep
			// within the history: wait until they have all caught up.
			// The stuck subscriber is not waited for: publishes go on.
			target.Store(int64(readers) * int64(i+1))
			for received.Load() < target.Load() {
				<-caughtUp
			}
		}
	}
	close(stop)
	wg.Wait()

	st := h.Stats()
	if st.CutOffSlow != 1 || st.Subscribers != readers {
		t.Fatalf("stats %+v", st)
	}
	if b, err := stuck.Drain(nil); !errors.Is(err, ErrEvicted) || len(b) != 0 {
		t.Fatalf("stuck subscriber: %d bytes, %v", len(b), err)
	}
	for i := range subs {
		if bad[i] != nil || got[i] != events {
			t.Fatalf("reader %d: got %d events, err %v", i, got[i], bad[i])
		}
		subs[i].Close()
	}
	if st := h.Stats(); st.Delivered != uint64(readers*events) || st.Subscribers != 0 {
		t.Fatalf("stats after close %+v", st)
	}
}
