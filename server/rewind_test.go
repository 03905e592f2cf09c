package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestRewindFirstConnect: ?rewind=N on a first connect gives the last N
// events of the stream's topics (at most MaxReplay), then live ones; with
// a Last-Event-ID the id wins; a rewind that is not a count is a 400.
func TestRewindFirstConnect(t *testing.T) {
	srv := sse.NewServer()
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Broker: ssebroker.NewBroker(ssebroker.MaxReplay(6))})
	ctx := context.Background()
	var ids []string
	for i := 1; i <= 10; i++ {
		topic := "a"
		if i%2 == 0 {
			topic = "b"
		}
		if err := srv.Publish(ctx, topic, &codec.Event{Data: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(s *ssetest.Stream, n int) (data []string) {
		for range n {
			ev := s.Next(t)
			data = append(data, string(ev.Data))
			ids = append(ids, ev.ID)
		}
		return data
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}

	s := ssetest.OpenT(t, svc.URL("/events?stream=a&stream=b&rewind=5"), "")
	check("rewind=5", read(s, 5), "6", "7", "8", "9", "10")
	if err := srv.Publish(ctx, "a", &codec.Event{Data: []byte("11")}); err != nil {
		t.Fatal(err)
	}
	check("then live", read(s, 1), "11")

	s = ssetest.OpenT(t, svc.URL("/events?stream=a&rewind=2"), "")
	check("rewind=2 of a", read(s, 2), "9", "11")

	s = ssetest.OpenT(t, svc.URL("/events?stream=a&stream=b&rewind=100"), "")
	check("bounded by MaxReplay", read(s, 6), "6", "7", "8", "9", "10", "11")

	s = ssetest.OpenT(t, svc.URL("/events?stream=a&stream=b&rewind=5"), ids[2]) // after "8"
	check("Last-Event-ID wins", read(s, 3), "9", "10", "11")

	resp, err := http.Get(svc.URL("/events?stream=a&rewind=-1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("rewind=-1: %s, want 400", resp.Status)
	}
}
