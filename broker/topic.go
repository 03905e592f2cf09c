package broker

import (
	"slices"
	"sync/atomic"

	mbroker "go-micro.dev/v4/broker"
)

// topicSubs holds the in-process subscriptions of one topic: those without
// a queue group each get every message, a queue group gets each message
// once. Changed only under the broker's write lock, read under its read
// lock.
type topicSubs struct {
	plain  []*subscription
	groups []*group
}

// group is the subscriptions of one topic sharing a broker.Queue name.
type group struct {
	name    string
	members []*subscription
	next    atomic.Uint64 // round-robin position
}

// add adds s to its group (broker.Queue) or to the plain subscriptions.
func (t *topicSubs) add(s *subscription) {
	q := s.opts.Queue
	if q == "" {
		t.plain = append(slices.Clip(t.plain), s)
		return
	}
	for _, g := range t.groups {
		if g.name == q {
			g.members = append(slices.Clip(g.members), s)
			return
		}
	}
	t.groups = append(slices.Clip(t.groups), &group{name: q, members: []*subscription{s}})
}

// remove removes s; a group left empty is removed too.
func (t *topicSubs) remove(s *subscription) {
	t.plain = slices.DeleteFunc(slices.Clone(t.plain), func(x *subscription) bool { return x == s })
	for i, g := range t.groups {
		if g.name != s.opts.Queue {
			continue
		}
		g.members = slices.DeleteFunc(slices.Clone(g.members), func(x *subscription) bool { return x == s })
		if len(g.members) == 0 {
			t.groups = slices.Delete(slices.Clone(t.groups), i, i+1)
		}
		return
	}
}

// len is the number of subscriptions.
func (t *topicSubs) len() int {
	n := len(t.plain)
	for _, g := range t.groups {
		n += len(g.members)
	}
	return n
}

// all returns every subscription.
func (t *topicSubs) all() []*subscription {
	out := slices.Clone(t.plain)
	for _, g := range t.groups {
		out = append(out, g.members...)
	}
	return out
}

// deliver offers msg to every plain subscription and to one member of each
// group, never waiting. It returns what could not be queued (drops).
func (t *topicSubs) deliver(topic string, msg *mbroker.Message) (dropped uint64) {
	body := slices.Clone(msg.Body) // the publisher may reuse its buffer once Publish returns
	for _, s := range t.plain {
		if !s.offer(topic, msg.Header, body) {
			dropped++
		}
	}
	for _, g := range t.groups {
		n := uint64(len(g.members))
		start := g.next.Add(1) - 1
		taken := false
		for i := range n {
			if g.members[(start+i)%n].offer(topic, msg.Header, body) {
				taken = true
				break
			}
		}
		if !taken {
			dropped++
		}
	}
	return dropped
}
