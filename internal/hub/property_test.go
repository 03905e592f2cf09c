package hub

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// published is the log of what the publishers of the property test sent.
type published struct {
	mu    sync.Mutex
	ids   []string          // in the order Publish returned
	topic map[uint64]string // seq -> topic
	data  map[uint64]string // seq -> data
}

func (p *published) add(t *testing.T, h *Hub, id, topic, data string) {
	epoch, seq, ok := parseID(id)
	if !ok || epoch != h.Epoch() {
		t.Errorf("publish returned %q, not an id of this hub", id)
		return
	}
	p.mu.Lock()
	p.ids = append(p.ids, id)
	p.topic[seq] = topic
	p.data[seq] = data
	p.mu.Unlock()
}

// randomID returns one of the ids published so far, or "".
func (p *published) randomID(r *rand.Rand) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ids) == 0 {
		return ""
	}
	return p.ids[r.IntN(len(p.ids))]
}

// segment is what a client received on consecutive subscriptions: from
// a subscription with an id (after = its sequence) or, when it had none
// yet, from wherever live events began (anchored = false).
type segment struct {
	anchored bool
	after    uint64
	got      []*codec.Event
}

// client is one simulated browser of the property test.
type client struct {
	topics   []string
	stays    bool // reads until the end; else leaves at a random time
	segments []*segment
}

// TestPropertyExactDelivery runs concurrent publishers and clients that
// subscribe at random ids, leave and reconnect at random times (as a
// browser does, with its last id), and are cut off when they fall behind.
// Then, from the log of what was published, it checks that each client
// received exactly the events after its id on its topics, in id order,
// with no gap and no duplicate, across reconnects; and clients that stay to
// the end received everything.
func TestPropertyExactDelivery(t *testing.T) {
	const (
		publishers = 4
		perPub     = 600
		clients    = 40
		topicCount = 6
	)
	h := New()
	defer h.Close()
	topics := make([]string, topicCount)
	for i := range topics {
		topics[i] = fmt.Sprintf("t%d", i)
	}
	log := &published{topic: map[uint64]string{}, data: map[uint64]string{}}
	done := make(chan struct{})

	var wg sync.WaitGroup
	var pubWG sync.WaitGroup
	for p := 0; p < publishers; p++ {
		pubWG.Add(1)
		go func() {
			defer pubWG.Done()
			r := rand.New(rand.NewPCG(uint64(p), 1))
			for i := 0; i < perPub; i++ {
				topic := topics[r.IntN(topicCount)]
				data := fmt.Sprintf("p%d-%d %s", p, i, strings.Repeat("z", r.IntN(40)))
				id, err := h.Publish(topic, &codec.Event{Data: []byte(data)})
				if err != nil {
					t.Error(err)
					return
				}
				log.add(t, h, id, topic, data)
			}
		}()
	}
	cls := make([]*client, clients)
	for c := range cls {
		r := rand.New(rand.NewPCG(uint64(c), 2))
		cl := &client{stays: c%2 == 0}
		for _, tp := range r.Perm(topicCount)[:1+r.IntN(3)] {
			cl.topics = append(cl.topics, topics[tp])
		}
		cls[c] = cl
		wg.Add(1)
		go func() {
			defer wg.Done()
			runClient(t, h, cl, log, r, done)
		}()
	}
	pubWG.Wait()
	close(done)
	wg.Wait()
	if t.Failed() {
		return
	}

	// Check every client against the log.
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.ids) != publishers*perPub {
		t.Fatalf("log has %d ids", len(log.ids))
	}
	var maxSeq uint64
	for seq := range log.topic {
		maxSeq = max(maxSeq, seq)
	}
	if maxSeq != publishers*perPub {
		t.Fatalf("sequence has gaps: max %d for %d events", maxSeq, publishers*perPub)
	}
	checked, cutOff := 0, h.Stats().CutOffSlow
	for c, cl := range cls {
		on := map[string]bool{}
		for _, tp := range cl.topics {
			on[tp] = true
		}
		// next returns the first sequence above seq on the client's topics.
		next := func(seq uint64) uint64 {
			for s := seq + 1; s <= maxSeq; s++ {
				if on[log.topic[s]] {
					return s
				}
			}
			return maxSeq + 1
		}
		var last uint64
		have := false
		for k, sg := range cl.segments {
			if sg.anchored {
				last, have = sg.after, true
			}
			for i, ev := range sg.got {
				_, seq, ok := parseID(ev.ID)
				if !ok {
					t.Fatalf("client %d: bad id %q", c, ev.ID)
				}
				if have && seq != next(last) {
					t.Fatalf("client %d segment %d event %d: got seq %d after %d, want %d (gap or dup)",
						c, k, i, seq, last, next(last))
				}
				if !on[log.topic[seq]] {
					t.Fatalf("client %d: got seq %d of topic %q, not subscribed", c, seq, log.topic[seq])
				}
				if string(ev.Data) != log.data[seq] {
					t.Fatalf("client %d: seq %d data %q want %q", c, seq, ev.Data, log.data[seq])
				}
				last, have = seq, true
				checked++
			}
		}
		if cl.stays && have && next(last) != maxSeq+1 {
			t.Fatalf("client %d stayed to the end but stopped at seq %d, next %d", c, last, next(last))
		}
	}
	t.Logf("checked %d deliveries; %d cut-offs", checked, cutOff)
	if st := h.Stats(); st.Subscribers != 0 || st.Published != publishers*perPub {
		t.Fatalf("stats after the run: %+v", st)
	}
}

// runClient subscribes, reads, leaves and reconnects until done, recording
// what it received.
func runClient(t *testing.T, h *Hub, cl *client, log *published, r *rand.Rand, done <-chan struct{}) {
	lastID := ""
	if r.IntN(4) > 0 {
		lastID = log.randomID(r) // join at a random id
	}
	finished := false
	for !finished {
		s, err := h.Subscribe(cl.topics, lastID)
		if err != nil {
			t.Error(err)
			return
		}
		sg := &segment{}
		switch s.Resume().Outcome {
		case ResumeExact:
			_, sg.after, _ = parseID(lastID)
			sg.anchored = true
		case ResumeNone:
		default:
			t.Errorf("subscribe at %q: %+v", lastID, s.Resume())
			s.Close()
			return
		}
		cl.segments = append(cl.segments, sg)
		budget := r.IntN(300) // events to read before leaving
		var buf []byte
		leave := false
		for !leave {
			ended := false
			select {
			case <-s.Ready():
			case <-done:
				ended = true
			}
			var err error
			buf, err = s.Drain(buf[:0])
			evs := decodeAll(t, buf)
			sg.got = append(sg.got, evs...)
			if len(evs) > 0 {
				lastID = evs[len(evs)-1].ID
			}
			budget -= len(evs)
			switch {
			case err != nil: // cut off: reconnect from lastID
				leave = true
			case ended && len(evs) == 0:
				// Everything published is queued: nothing more will come.
				leave, finished = true, true
			case budget <= 0 && !ended:
				leave = true
				if !cl.stays && r.IntN(3) == 0 {
					finished = true // leave for good
				}
			}
		}
		s.Close()
		if !finished && lastID == "" {
			lastID = log.randomID(r)
		}
	}
}

// decodeAll decodes the frames in b.
func decodeAll(t *testing.T, b []byte) []*codec.Event {
	dec := codec.NewDecoder(strings.NewReader(string(b)))
	var evs []*codec.Event
	for {
		ev, err := dec.Decode()
		if err != nil {
			return evs
		}
		evs = append(evs, ev)
	}
}
