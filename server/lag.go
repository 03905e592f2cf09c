package server

import "github.com/go-micro-sse/go-micro-sse/internal/hub"

// TopicLag is how far behind the streams of a topic are: Age is the age of
// the oldest event of the topic's history that a stream (of any server
// sharing the hub) has yet to read.
type TopicLag = hub.TopicLag

// Lag returns the topics whose streams have events left to read, the most
// behind first, at most n of them (n <= 0: all); nil when the server is not
// running. It looks at every stream once under the hub's publish lock: for
// a scrape every few seconds, not for every event.
func (s *Server) Lag(n int) []TopicLag {
	r := s.current()
	if r == nil {
		return nil
	}
	return r.hub.Lag(n)
}
