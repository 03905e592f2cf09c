package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

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

// segment is what a client received on one subscription: the id it
// subscribed with, how the hub placed it, and the frames in order.
type segment struct {
	lastID string
	resume Resume
	got    []*codec.Event
	ended  error // why it ended early (ErrEvicted), or nil
}

// client is one simulated browser of the property test.
type client struct {
	topics   []string
	stays    bool // reads until the end; else leaves at a random time
	segments []*segment
}

// TestPropertyExactDelivery runs concurrent publishers under tight bounds
// (a few dozen events per topic, a hub-wide budget smaller than all
// topics' bounds together, so topics lose history to each other, run empty
// and are forgotten) and clients on one to four topics that subscribe at
// random ids or garbage, read, stall (and fall behind the history), leave
// and reconnect with their last id, as a browser does. From the log of
// what was published it then checks every stream:
//
//   - ids strictly increase, reset frames included;
//   - without a reset, a stream holds exactly the events of its topics
//     after its id (or after its first event, with no id), with no gap,
//     duplicate or reordering, and its data;
//   - with a reset (exactly one, first thing in a resumed stream's gap):
//     before it only events between the id and the reset, each topic's a
//     run with no gap up to the reset; after it exactly the events after
//     the reset's id; its data names the id given;
//   - a stream ends early only with ErrEvicted, and a client that stayed
//     got everything up to the end.
func TestPropertyExactDelivery(t *testing.T) {
	const (
		publishers = 4
		perPub     = 700
		clients    = 40
		topicCount = 6
	)
	h := New(MaxHistoryEvents(48), HistoryBudget(9_000), MaxReplay(1<<20))
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
				// Topic t5 is rare: it runs empty under the budget and is
				// forgotten while nobody follows it.
				topic := topics[r.IntN(topicCount-1)]
				if r.IntN(40) == 0 {
					topic = topics[topicCount-1]
				}
				data := fmt.Sprintf("p%d-%d %s", p, i, strings.Repeat("z", r.IntN(40)))
				id, err := h.Publish(topic, &codec.Event{Data: []byte(data)})
				if err != nil {
					t.Error(err)
					return
				}
				log.add(t, h, id, topic, data)
				if i%50 == 0 {
					time.Sleep(time.Duration(r.IntN(300)) * time.Microsecond) // let readers catch up, sometimes
				}
			}
		}()
	}
	// A third of the clients wake through their own Ready, the others
	// through one of two Wakers, each read for by a dispatcher (as a
	// server's shared writers do).
	var wakers [2]*dispatcher
	for i := range wakers {
		wakers[i] = newDispatcher()
		defer wakers[i].close()
	}
	cls := make([]*client, clients)
	for c := range cls {
		r := rand.New(rand.NewPCG(uint64(c), 2))
		cl := &client{stays: c%2 == 0}
		for _, tp := range r.Perm(topicCount)[:1+r.IntN(4)] {
			cl.topics = append(cl.topics, topics[tp])
		}
		cls[c] = cl
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d *dispatcher
			if c%3 > 0 {
				d = wakers[c%3-1]
			}
			runClient(t, h, cl, log, r, done, d)
		}()
	}
	pubWG.Wait()
	close(done)
	wg.Wait()
	if t.Failed() {
		return
	}

	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.ids) != publishers*perPub {
		t.Fatalf("log has %d ids", len(log.ids))
	}
	maxSeq := uint64(publishers * perPub)
	for seq := uint64(1); seq <= maxSeq; seq++ {
		if log.topic[seq] == "" {
			t.Fatalf("sequence has a gap at %d", seq)
		}
	}
	var st struct{ segments, resets, evicted, checked int }
	for c, cl := range cls {
		v := &verifier{t: t, log: log, maxSeq: maxSeq, on: map[string]bool{}, client: c}
		for _, tp := range cl.topics {
			v.on[tp] = true
		}
		var last uint64
		for k, sg := range cl.segments {
			v.seg = k
			last = v.check(h, sg, last)
			st.segments++
			st.checked += len(sg.got)
			if sg.resume.Outcome == ResumeLost {
				st.resets++
			}
			if sg.ended != nil {
				st.evicted++
			}
		}
		if cl.stays && v.next(last) != maxSeq+1 {
			t.Fatalf("client %d stayed to the end but stopped at seq %d, next %d", c, last, v.next(last))
		}
	}
	hs := h.Stats()
	t.Logf("%d frames in %d streams checked; %d resets, %d streams ended evicted (hub: %d cut off); %d topics held",
		st.checked, st.segments, st.resets, st.evicted, hs.CutOffSlow, hs.Topics)
	if st.resets == 0 || st.evicted == 0 {
		t.Fatalf("the bounds are not tight enough: %d resets, %d evictions", st.resets, st.evicted)
	}
	if hs.Subscribers != 0 || hs.Published != publishers*perPub || hs.HistoryBytes > 9_000 {
		t.Fatalf("stats after the run: %+v", hs)
	}
}

// verifier checks the streams of one client against the publish log.
type verifier struct {
	t           *testing.T
	log         *published
	maxSeq      uint64
	on          map[string]bool
	client, seg int
}

// next returns the first sequence above seq on the client's topics
// (maxSeq+1 if none).
func (v *verifier) next(seq uint64) uint64 {
	for s := seq + 1; s <= v.maxSeq; s++ {
		if v.on[v.log.topic[s]] {
			return s
		}
	}
	return v.maxSeq + 1
}

func (v *verifier) fail(format string, args ...any) {
	v.t.Helper()
	v.t.Fatalf("client %d stream %d: %s", v.client, v.seg, fmt.Sprintf(format, args...))
}

// check verifies one stream; last is the sequence of the last frame the
// client had (0 if none); it returns the sequence of the stream's last
// frame (or last when it got none).
func (v *verifier) check(h *Hub, sg *segment, last uint64) uint64 {
	v.t.Helper()
	if sg.ended != nil && !errors.Is(sg.ended, ErrEvicted) {
		v.fail("ended with %v", sg.ended)
	}
	from := uint64(0) // the position the id stands for
	if ep, seq, ok := parseID(sg.lastID); ok && ep == h.Epoch() {
		from = seq
	}
	if sg.lastID != "" && from != last && !(last == 0 && from > 0) {
		v.fail("subscribed with %q, but its last frame was %d", sg.lastID, last)
	}
	seqs := make([]uint64, len(sg.got))
	resetAt := -1
	for i, ev := range sg.got {
		ep, seq, ok := parseID(ev.ID)
		if !ok || ep != h.Epoch() {
			v.fail("frame %d: id %q", i, ev.ID)
		}
		seqs[i] = seq
		if i > 0 && seq <= seqs[i-1] {
			v.fail("ids do not increase at frame %d: %d after %d", i, seq, seqs[i-1])
		}
		if ev.Event == codec.ResetEventType {
			if resetAt >= 0 {
				v.fail("a second reset at frame %d", i)
			}
			resetAt = i
			var d struct{ Reason, LastEventID string }
			if err := json.Unmarshal(ev.Data, &d); err != nil || d.LastEventID != sg.lastID || d.Reason != sg.resume.Reason {
				v.fail("reset data %q for id %q, resume %+v", ev.Data, sg.lastID, sg.resume)
			}
			continue
		}
		if !v.on[v.log.topic[seq]] {
			v.fail("seq %d of topic %q, not followed", seq, v.log.topic[seq])
		}
		if string(ev.Data) != v.log.data[seq] {
			v.fail("seq %d data %q, want %q", seq, ev.Data, v.log.data[seq])
		}
	}
	switch sg.resume.Outcome {
	case ResumeLost:
		if sg.lastID == "" {
			v.fail("lost without an id")
		}
		if resetAt < 0 {
			if sg.ended != nil {
				return max(last, lastOf(seqs))
			}
			v.fail("resume %+v without a reset frame", sg.resume)
		}
		r := seqs[resetAt]
		// Before the reset: events in (from, r), each topic's a run with
		// no gap up to the reset (the part of the gap history still held).
		lastOn := map[string]uint64{}
		for _, s := range seqs[:resetAt] {
			if s <= from || s >= r {
				v.fail("seq %d before the reset at %d, not in (%d, %d)", s, r, from, r)
			}
			tp := v.log.topic[s]
			if p, ok := lastOn[tp]; ok && v.nextOn(tp, p) != s {
				v.fail("topic %s: %d then %d before the reset: a gap", tp, p, s)
			}
			lastOn[tp] = s
		}
		for tp, p := range lastOn {
			if n := v.nextOn(tp, p); n < r {
				v.fail("topic %s: %d held before the reset at %d, skipped", tp, n, r)
			}
		}
		return v.consecutive(seqs[resetAt+1:], r, true)
	case ResumeExact:
		if resetAt >= 0 {
			v.fail("exact resume with a reset")
		}
		return v.consecutive(seqs, from, true)
	default:
		if resetAt >= 0 {
			v.fail("no id, yet a reset")
		}
		if len(seqs) == 0 {
			return last
		}
		return v.consecutive(seqs[1:], seqs[0], true)
	}
}

// nextOn returns the first sequence above seq on topic tp.
func (v *verifier) nextOn(tp string, seq uint64) uint64 {
	for s := seq + 1; s <= v.maxSeq; s++ {
		if v.log.topic[s] == tp {
			return s
		}
	}
	return v.maxSeq + 1
}

// consecutive checks that seqs are exactly the events of the client's
// topics after from, in order, and returns the last sequence (from if
// none).
func (v *verifier) consecutive(seqs []uint64, from uint64, _ bool) uint64 {
	v.t.Helper()
	last := from
	for i, s := range seqs {
		if want := v.next(last); s != want {
			v.fail("frame %d: seq %d after %d, want %d (a gap, a duplicate or out of order)", i, s, last, want)
		}
		last = s
	}
	return last
}

func lastOf(seqs []uint64) uint64 {
	if len(seqs) == 0 {
		return 0
	}
	return seqs[len(seqs)-1]
}

// runClient subscribes, reads (stalling now and then), leaves and
// reconnects until done, recording what it received.
func runClient(t *testing.T, h *Hub, cl *client, log *published, r *rand.Rand, done <-chan struct{}, d *dispatcher) {
	lastID := ""
	switch r.IntN(8) {
	case 0:
		lastID = "garbage"
	case 1, 2, 3, 4, 5:
		lastID = log.randomID(r) // join at a random id
	}
	finished := false
	var frames [][]byte
	for !finished {
		wake := make(chan struct{}, 1)
		opts := []SubscribeOption{Notify(func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})}
		if d != nil {
			opts = []SubscribeOption{WakeWith(d.w), Owner(wake)}
		}
		s, err := h.Subscribe(cl.topics, lastID, opts...)
		if err != nil {
			t.Error(err)
			return
		}
		ready := wake
		sg := &segment{lastID: lastID, resume: s.Resume()}
		cl.segments = append(cl.segments, sg)
		budget := r.IntN(400) // frames to read before leaving
		stall := r.IntN(3) == 0
		leave := false
		for !leave {
			ended := false
			select {
			case <-ready:
			case <-done:
				ended = true
			}
			for { // read what is due
				var more bool
				frames, more, err = s.Read(frames[:0])
				for _, f := range frames {
					evs := decodeAll(t, f)
					sg.got = append(sg.got, evs...)
					lastID = evs[len(evs)-1].ID
				}
				budget -= len(frames)
				if err != nil || !more {
					break
				}
				if stall && r.IntN(4) == 0 {
					time.Sleep(time.Duration(r.IntN(2000)) * time.Microsecond) // fall behind
				}
			}
			switch {
			case err != nil: // evicted: reconnect from the last id seen
				sg.ended = err
				leave = true
			case ended && len(frames) == 0:
				leave, finished = true, true // published everything, read everything
			case budget <= 0 && !ended:
				leave = true
				if !cl.stays && r.IntN(3) == 0 {
					finished = true // leave for good
				}
			}
		}
		s.Close()
		if !finished && lastID == "" && r.IntN(2) == 0 {
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

// dispatcher reads for the subscribers of one Waker: it signals each
// subscriber handed to the Waker on the channel that is its Owner.
type dispatcher struct {
	w    *Waker
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newDispatcher() *dispatcher {
	d := &dispatcher{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	d.w = NewWaker(func() {
		select {
		case d.kick <- struct{}{}:
		default:
		}
	})
	go d.run()
	return d
}

func (d *dispatcher) run() {
	defer close(d.done)
	var subs []*Subscriber
	for {
		select {
		case <-d.kick:
			subs = d.w.Take(subs[:0])
			for _, s := range subs {
				select {
				case s.Owner().(chan struct{}) <- struct{}{}:
				default:
				}
			}
			clear(subs)
		case <-d.stop:
			return
		}
	}
}

func (d *dispatcher) close() {
	close(d.stop)
	<-d.done
}
