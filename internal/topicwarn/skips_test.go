package topicwarn_test

import (
	"errors"
	"testing"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	"github.com/go-micro-sse/go-micro-sse/internal/topicwarn"
)

func TestSkipsWarnOncePerTopicAndCountEvery(t *testing.T) {
	var s topicwarn.Skips
	log := ssetest.NewLog()
	cause := errors.New("not UTF-8")
	s.Skip(log, "who", "a", cause)
	s.Skip(log, "who", "a", cause)
	s.Skip(log, "who", "b", cause)
	if s.Count() != 3 {
		t.Fatalf("Count = %d, want 3", s.Count())
	}
	if got := len(log.Lines("warn", "who: topic \"a\"", "(1 so far)", "not UTF-8")); got != 1 {
		t.Fatalf("first skip of a: %d warnings, want 1; log: %q", got, log.Lines())
	}
	if got := len(log.Lines("debug", "topic \"a\"", "(2 so far)")); got != 1 {
		t.Fatalf("second skip of a: %d debug lines, want 1; log: %q", got, log.Lines())
	}
	if got := len(log.Lines("warn", "topic \"b\"", "(3 so far)")); got != 1 {
		t.Fatalf("first skip of b: %d warnings, want 1; log: %q", got, log.Lines())
	}
}
