package topicwarn

import (
	"sync/atomic"

	"go-micro.dev/v4/logger"
)

// Skips counts the messages whose body is not UTF-8 and that nobody asked
// to base64-encode: they reach go-micro subscribers but no browser. Each
// is logged, as a warning the first time for its topic and at debug level
// after. The zero value is ready; it is safe for concurrent use.
type Skips struct {
	n      atomic.Uint64
	warned Set
}

// Skip counts one skipped message of topic and logs it with l (nil:
// go-micro's default logger), the line starting with who.
func (s *Skips) Skip(l logger.Logger, who, topic string, cause error) {
	n := s.n.Add(1)
	level := logger.DebugLevel
	if s.warned.First(topic) {
		level = logger.WarnLevel
	}
	if l == nil {
		l = logger.DefaultLogger
	}
	l.Logf(level, "%s: topic %q: message not sent to browsers (%d so far), go-micro subscribers still get it: %v", who, topic, n, cause)
}

// Count returns the messages skipped so far.
func (s *Skips) Count() uint64 {
	return s.n.Load()
}
