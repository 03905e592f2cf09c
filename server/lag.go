package server

import "time"

// TopicLag is how far behind the streams of a topic are.
type TopicLag struct {
	// Topic is the topic's name.
	Topic string
	// Age is the age of the oldest event of the topic's history that a
	// stream (of any server sharing the hub) has yet to read.
	Age time.Duration
}

// Lag returns the topics whose streams have events left to read, the most
// behind first, at most n of them (n <= 0: all); nil when the server is not
// running. It looks at every stream once under the hub's publish lock: for
// a scrape every few seconds, not for every event.
func (s *Server) Lag(n int) []TopicLag {
	r := s.current()
	if r == nil {
		return nil
	}
	lags := r.hub.Lag(n)
	if lags == nil {
		return nil
	}
	out := make([]TopicLag, len(lags))
	for i, l := range lags {
		out[i] = TopicLag(l)
	}
	return out
}
