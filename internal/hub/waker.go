package hub

import "sync"

// A Waker gathers the wake-ups of many subscribers for one reader of them
// all (a server's shared writer). A publish hands it, at once, every
// subscriber of the topic that subscribed with it and had read everything,
// without touching any of them: the topic keeps them in one list per
// Waker, which the readers fill as they become idle and the publish hands
// over whole. So a publish costs a copy of pointers per Waker, not a write
// to every subscriber's memory, which would move it to the publisher's
// core and back to the reader's. The Waker's function is called when it
// gets something while it held nothing (under the hub's lock: it must not
// block or call the hub); the reader then Takes the subscribers and reads
// them. A subscriber may be handed over when it has nothing to read (it
// was woken by another of its topics meanwhile, or it ended): Read then
// returns nothing.
type Waker struct {
	fn    func()
	mu    sync.Mutex
	woken []*Subscriber
}

// NewWaker returns a Waker that calls fn when it gets a subscriber while
// it held none.
func NewWaker(fn func()) *Waker { return &Waker{fn: fn} }

// WakeWith makes the subscriber's wake-ups (what Notify describes) go to
// w.
func WakeWith(w *Waker) SubscribeOption {
	return func(o *subscribeOptions) { o.waker = w }
}

// Owner attaches v to the subscriber (Subscriber.Owner), for a Waker's
// reader to find what the subscriber is read for.
func Owner(v any) SubscribeOption {
	return func(o *subscribeOptions) { o.owner = v }
}

// Owner returns the value given with the Owner option, nil without one.
func (s *Subscriber) Owner() any { return s.owner }

// Take appends the subscribers handed to w since the last Take to dst and
// returns it; a subscriber may appear more than once.
func (w *Waker) Take(dst []*Subscriber) []*Subscriber {
	w.mu.Lock()
	dst = append(dst, w.woken...)
	clear(w.woken)
	w.woken = w.woken[:0]
	w.mu.Unlock()
	return dst
}

// add hands subs to w.
func (w *Waker) add(subs ...*Subscriber) {
	w.mu.Lock()
	first := len(w.woken) == 0
	w.woken = append(w.woken, subs...)
	w.mu.Unlock()
	if first {
		w.fn()
	}
}

// waitList is the subscribers of a topic that had read everything and
// wake through w (nil: each through its own Notify).
type waitList struct {
	w    *Waker
	subs []*Subscriber
}

// listIdleLocked puts s, which has read everything, in the wait lists of
// its topics it is not in yet, so that the next append to any of them
// wakes it.
func (s *Subscriber) listIdleLocked() {
	s.idle = true
	if s.removed {
		return
	}
	for k := range s.cur {
		c := &s.cur[k]
		t := c.t
		if c.listed == t.wakes+1 {
			continue // listed since the topic's last wake-up
		}
		l := t.waitListLocked(s.waker)
		c.listed, c.listIdx = t.wakes+1, int32(len(l.subs))
		l.subs = append(l.subs, s)
	}
}

// waitListLocked returns t's wait list of w, made on first use.
func (t *topic) waitListLocked(w *Waker) *waitList {
	for i := range t.waiting {
		if t.waiting[i].w == w {
			return &t.waiting[i]
		}
	}
	t.waiting = append(t.waiting, waitList{w: w})
	return &t.waiting[len(t.waiting)-1]
}

// unwaitLocked takes s out of t's wait list (c is its cursor on t), if it
// is in it.
func (t *topic) unwaitLocked(s *Subscriber, c *cursor) {
	if c.listed != t.wakes+1 {
		return
	}
	c.listed = 0
	l := t.waitListLocked(s.waker)
	i, last := int(c.listIdx), len(l.subs)-1
	if m := l.subs[last]; m != s {
		l.subs[i] = m
		m.cur[m.topicIndex(t)].listIdx = int32(i)
	}
	l.subs[last] = nil
	l.subs = l.subs[:last]
}

// wakeLocked wakes the subscribers of t that had read everything: each
// Waker gets its list whole; the others are signalled one by one. The
// lists start again empty (the topic's wake count moves on).
func (t *topic) wakeLocked() {
	t.wakes++
	for i := range t.waiting {
		l := &t.waiting[i]
		if len(l.subs) == 0 {
			continue
		}
		if l.w != nil {
			l.w.add(l.subs...)
		} else {
			for _, s := range l.subs {
				if s.idle {
					s.idle = false
					s.signal()
				}
			}
		}
		clear(l.subs)
		l.subs = l.subs[:0]
	}
}
