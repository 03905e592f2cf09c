package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

func TestMain(m *testing.M) {
	browsertest.Main(m, ssetest.GoleakIgnores()...)
}

// startTestNode starts the example on loopback, stopped when the test ends.
func startTestNode(t *testing.T, addr string, opts ...server.Option) *node {
	t.Helper()
	n, err := ssetest.RetryAddrInUse(func() (*node, error) { return startNode(addr, opts...) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return n
}

type pageEvent struct {
	ID string `json:"id"`
	N  int    `json:"n"`
}

func events(p *browsertest.Page) []pageEvent {
	var evs []pageEvent
	p.Eval(`page.events`, &evs)
	return evs
}

// consecutive checks that the page got 1..len(evs), each with its number as id.
func consecutive(t *testing.T, evs []pageEvent) {
	t.Helper()
	for i, ev := range evs {
		if ev.N != i+1 || ev.ID != strconv.Itoa(i+1) {
			t.Fatalf("event %d = %+v, want n and id %d (all: %+v)", i, ev, i+1, evs)
		}
	}
}

// TestBrowserRPCStream: Chromium's EventSource opens a go-micro handler's
// stream method; every Send arrives as one event with its id, then the end
// event, on which the page closes the EventSource. A unary call answers
// JSON to fetch.
func TestBrowserRPCStream(t *testing.T) {
	n := startTestNode(t, "127.0.0.1:0")
	p := browsertest.Shared(t).Open(t, n.URL("/?to=5&every=0"))
	p.WaitFor(`page.ends.length === 1`, `[page.states, page.events, page.errors]`)
	evs := events(p)
	if len(evs) != 5 {
		t.Fatalf("events %+v, want 5", evs)
	}
	consecutive(t, evs)
	var end struct {
		ID   string
		Data struct{ LastEventID string }
	}
	p.Eval(`({ID: page.ends[0].id, Data: {LastEventID: page.ends[0].data.lastEventId}})`, &end)
	if end.ID != sse.EndedIDPrefix+"5" || end.Data.LastEventID != "5" {
		t.Fatalf("end event %+v", end)
	}
	p.Eval(`document.getElementById("add").click()`, nil)
	p.WaitFor(`document.getElementById("sum").textContent !== ""`, `document.getElementById("sum").textContent`)
	var sum string
	p.Eval(`document.getElementById("sum").textContent`, &sum)
	if sum != `200 {"sum":15}` {
		t.Fatalf("Counter.Add from the page = %q", sum)
	}
}

// TestBrowserRPCStreamEndStopsReconnects: a page that ignores the end event
// leaves its EventSource open; the browser reconnects once with the end id,
// is answered 204 and stops by itself (readyState CLOSED): exactly two
// requests, no reconnect loop. Served through the page's own mux (/api/,
// srv.RPCHandler behind a logging middleware).
func TestBrowserRPCStreamEndStopsReconnects(t *testing.T) {
	n := startTestNode(t, "127.0.0.1:0", sse.Retry(200*time.Millisecond))
	p := browsertest.Shared(t).Open(t, n.URL("/?to=3&every=0&close=0&base=/api/"))
	p.WaitFor(`page.ends.length === 1 && page.es.readyState === EventSource.CLOSED`, `[page.states, page.events, page.es.readyState]`)
	consecutive(t, events(p))
	want := []string{"200 ", "204 " + sse.EndedIDPrefix + "3"}
	ssetest.Eventually(t, "both requests logged", func() bool { return len(n.log.Seen()) >= 2 })
	if got := n.log.Seen(); !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
	if got := n.counter.Resumes(); !slices.Equal(got, []string{""}) {
		t.Fatalf("the handler was called with %q, want once", got)
	}
}

// TestBrowserRPCStreamResumesAfterRestart: the node stops in the middle of
// a stream (the browser is told to come back) and a new one starts on the
// same address; the browser reconnects by itself with its Last-Event-ID,
// the handler resumes after it, and the page has every number once, in
// order.
func TestBrowserRPCStreamResumesAfterRestart(t *testing.T) {
	opts := []server.Option{sse.Retry(time.Second)}
	n1 := startTestNode(t, "127.0.0.1:0", opts...)
	p := browsertest.Shared(t).Open(t, n1.URL("/?to=8&every=100"))
	p.WaitFor(`page.events.length >= 3`, `[page.states, page.events]`)
	if err := n1.Stop(); err != nil {
		t.Fatal(err)
	}
	p.WaitFor(`page.states.at(-1) === "connecting"`, `page.states`)
	before := len(events(p))

	n2 := startTestNode(t, n1.addr, opts...)
	p.WaitFor(`page.ends.length === 1`, `[page.states, page.events, page.errors]`)
	evs := events(p)
	if len(evs) != 8 {
		t.Fatalf("events %+v, want 1..8", evs)
	}
	consecutive(t, evs)
	if got, want := n2.counter.Resumes(), []string{strconv.Itoa(before)}; !slices.Equal(got, want) {
		t.Fatalf("the new node's handler resumed from %q, want %q", got, want)
	}
	var shown string // the page says where it resumed, not only the numbers
	p.Eval(`document.getElementById("numbers").textContent`, &shown)
	if want := fmt.Sprintf("reconnected: resuming after id %d", before); !strings.Contains(shown, want) {
		t.Errorf("the page shows %q, want it to say %q", shown, want)
	}
	t.Logf("resumed after %d events", before)
}
