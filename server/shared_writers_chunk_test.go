package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// TestSharedWritersChunkBatches: the shared writers frame each batch of
// the hub's plain frames as one HTTP/1.1 chunk; a client reads, through
// Go's strict chunked reader, exactly the events published: sizes whose
// chunk size lines take 1 to 5 hex digits, a frame larger than a batch's
// bound (written alone), publisher ids, the reset at the front of a resume,
// replay across batches, then live events.
func TestSharedWritersChunkBatches(t *testing.T) {
	f := newFixture(t, Heartbeat(time.Hour), OwnHub(ssebroker.KeepPublisherIDs(), ssebroker.MaxHistoryEvents(1000)))
	type sent struct{ id, event, data string }
	var want []sent
	publish := func(topic string, i, size int) {
		ev := &codec.Event{Data: []byte(strings.Repeat(strconv.Itoa(i%10), size)), Event: "e" + strconv.Itoa(i)}
		if i%3 == 0 {
			ev.ID = fmt.Sprintf("pub-%s-%d", topic, i)
		}
		id, err := f.hub.Publish(topic, ev)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, sent{id, ev.Event, string(ev.Data)})
	}
	// An event with no data is never dispatched: every size is at least 1.
	sizes := []int{1, 2, 9, 15, 16, 255, 4000, 4096, 70000, 100}
	for round := 0; round < 60; round++ { // several batches of replay
		for i, size := range sizes {
			publish([]string{"a", "b"}[round%2], round*len(sizes)+i, size)
		}
	}
	s := ssetest.OpenT(t, f.url("stream=a&stream=b"), "garbage")
	if ev := s.Next(t); ev.Event != codec.ResetEventType {
		t.Fatalf("first event %+v, want the reset", ev)
	}
	next := func(w sent) {
		t.Helper()
		ev := s.Next(t)
		if ev.ID != w.id || ev.Event != w.event || string(ev.Data) != w.data {
			t.Fatalf("event %q %q (%d bytes), want %q %q (%d bytes)", ev.ID, ev.Event, len(ev.Data), w.id, w.event, len(w.data))
		}
	}
	for _, w := range want {
		next(w)
	}
	live := len(want)
	for i, size := range sizes { // live, one at a time: a chunk of one frame each
		publish("a", 10000+i, size)
		next(want[live+i])
	}
}
