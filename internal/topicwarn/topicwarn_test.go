package topicwarn

import (
	"fmt"
	"testing"
)

func TestFirstOncePerTopic(t *testing.T) {
	var s Set
	if !s.First("a") || s.First("a") || !s.First("b") || s.First("a") || s.First("b") {
		t.Fatal("First is true exactly once per topic")
	}
}

func TestFirstStartsOverPastMaxTopics(t *testing.T) {
	var s Set
	for i := range MaxTopics {
		if !s.First(fmt.Sprint(i)) {
			t.Fatalf("topic %d reported twice", i)
		}
	}
	if s.First("0") {
		t.Fatal("topic 0 is still remembered at MaxTopics")
	}
	if !s.First("new") {
		t.Fatal("a new topic past MaxTopics is a first")
	}
	if len(s.topics) != 1 {
		t.Fatalf("the set started over: %d topics held, want 1", len(s.topics))
	}
	if !s.First("0") {
		t.Fatal("after starting over, topic 0 is a first again")
	}
}
