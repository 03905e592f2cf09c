// Package topicwarn remembers which topics a warning was already logged
// for, so that a condition repeated on every message of a topic (a binary
// body no browser can take) is logged as a warning once per topic and at
// debug level afterwards, in bounded memory.
package topicwarn

import "sync"

// MaxTopics bounds the topics a Set remembers; past it the Set starts over
// (a topic may then be warned about again).
const MaxTopics = 1024

// Set is the topics warned about. The zero value is empty and ready; it is
// safe for concurrent use.
type Set struct {
	mu     sync.Mutex
	topics map[string]struct{}
}

// First reports whether topic was not warned about yet, and remembers it.
func (s *Set) First(topic string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.topics[topic]; ok {
		return false
	}
	if s.topics == nil || len(s.topics) >= MaxTopics {
		s.topics = make(map[string]struct{})
	}
	s.topics[topic] = struct{}{}
	return true
}
