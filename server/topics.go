package server

import (
	"fmt"
	"slices"
)

// Explicit topics: with ssebroker.ExplicitTopics, a topic exists only once created
// with CreateTopic; until then a stream on it is answered 404 and a publish
// to it fails with ErrUnknownTopic. The created topics are the server's:
// they are kept across Stop and Start (and applied to the hub it serves at
// each Start, the broker's included).

// CreateTopic creates the topic called name, which must be a valid topic
// name of the server (MaxTopicNameLength, TopicPattern; else an error
// wrapping ErrInvalidTopic). A created topic is never forgotten while the
// server runs, with or without ssebroker.ExplicitTopics. It may be called before
// Start or while running; creating a topic twice is no error.
func (s *Server) CreateTopic(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := configFrom(s.opts.Context)
	if reason, text := c.checkTopic(name); reason != "" {
		return fmt.Errorf("%w: %s", ErrInvalidTopic, text)
	}
	if r := s.run; r != nil {
		if err := r.hub.CreateTopic(name); err != nil {
			return fmt.Errorf("sse server: create topic %q: %w", name, err)
		}
	}
	if !slices.Contains(s.created, name) {
		s.created = append(s.created, name)
	}
	return nil
}

// DeleteTopic deletes a topic CreateTopic created: its open streams end
// (the clients are told to come back later, and with ssebroker.ExplicitTopics then
// get 404, after which EventSource stops), its history is dropped. It
// returns an error wrapping ErrUnknownTopic for a topic not created.
func (s *Server) DeleteTopic(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.created, name)
	if i < 0 {
		return fmt.Errorf("sse server: delete topic %q: %w", name, ErrUnknownTopic)
	}
	s.created = slices.Delete(s.created, i, i+1)
	if r := s.run; r != nil {
		if err := r.hub.DeleteTopic(name); err != nil {
			return fmt.Errorf("sse server: delete topic %q: %w", name, err)
		}
	}
	return nil
}

// createTopics creates the created topics in the hub of a starting run.
func (s *Server) createTopics(r *run) error {
	s.mu.RLock()
	names := slices.Clone(s.created)
	s.mu.RUnlock()
	for _, name := range names {
		if err := r.hub.CreateTopic(name); err != nil {
			return fmt.Errorf("sse server: create topic %q: %w", name, err)
		}
	}
	return nil
}
