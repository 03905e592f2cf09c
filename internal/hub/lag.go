package hub

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// TopicLag is how far the readers of a topic are behind: the age of the
// oldest event of the topic's log that one of its subscribers has yet to
// read.
type TopicLag struct {
	Topic string
	Age   time.Duration
}

// Lag returns the topics whose subscribers have events left to read, the
// most behind first, at most n of them (n <= 0: all). It looks at every
// subscription under the publish lock, once: for a scrape, not for a hot
// path.
func (h *Hub) Lag(n int) []TopicLag {
	h.mu.Lock()
	now := h.clock()
	var lags []TopicLag
	for _, t := range h.topics {
		var oldest int64
		found := false
		for _, s := range t.subs {
			if at, ok := s.unreadAtLocked(t); ok && (!found || at < oldest) {
				oldest, found = at, true
			}
		}
		if found {
			lags = append(lags, TopicLag{Topic: t.name, Age: time.Duration(max(now-oldest, 0))})
		}
	}
	h.mu.Unlock()
	slices.SortFunc(lags, func(a, b TopicLag) int {
		if c := cmp.Compare(b.Age, a.Age); c != 0 {
			return c
		}
		return strings.Compare(a.Topic, b.Topic)
	})
	if n > 0 && len(lags) > n {
		lags = lags[:n]
	}
	return lags
}

// unreadAtLocked returns the publish time of the oldest event of t that s
// has yet to read, if any.
func (s *Subscriber) unreadAtLocked(t *topic) (int64, bool) {
	if s.err != nil {
		return 0, false
	}
	i := max(s.cur[s.topicIndex(t)].next, t.hist.base)
	if i < t.hist.end() && t.hist.abs(i).seq <= s.pos {
		i = t.hist.after(s.pos)
	}
	if i >= t.hist.end() {
		return 0, false
	}
	return t.hist.abs(i).at, true
}
