package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

func TestMain(m *testing.M) {
	// One browser for the package (each test in its own tabs and browser
	// context); Main closes it, then checks for leaked goroutines.
	browsertest.Main(m, ssetest.GoleakIgnores()...)
}

// startTestNode starts a demo node on loopback (no ticker unless c.Tick),
// stopped when the test ends.
func startTestNode(t *testing.T, c config) *node {
	t.Helper()
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	n, err := ssetest.RetryAddrInUse(func() (*node, error) { return startNode(c) })
	if err != nil {
		t.Fatalf("starting the demo node: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("stopping the demo node: %v", err)
		}
	})
	return n
}

// publish publishes data as one event of type typ on topic through the
// demo's publisher service (go-micro client, go-micro broker).
func publish(t *testing.T, n *node, topic, typ, data string) {
	t.Helper()
	if err := publishText(context.Background(), n.client, topic, typ, []byte(data)); err != nil {
		t.Fatalf("publish %q on %s: %v", data, topic, err)
	}
}

// openDemo opens, in the shared browser, the demo page of n with the query (topics, types) and
// waits until its EventSource is open.
func openDemo(t *testing.T, n *node, query string) *browsertest.Page {
	t.Helper()
	p := browsertest.Shared(t).Open(t, n.URL("/?"+query))
	p.WaitFor(`window.demo && demo.state === "open"`, `window.demo && demo.states`)
	return p
}

// eventData returns the data of the events the page listed (sse-reset
// excluded), in arrival order.
func eventData(t *testing.T, p *browsertest.Page) []string {
	t.Helper()
	var out []string
	p.Eval(`demo.events.filter(e => e.type !== "sse-reset").map(e => e.data)`, &out)
	return out
}

// requestLog records the events requests a server saw, through its
// Authorize hook (which sees every well-formed events request).
type requestLog struct {
	mu          sync.Mutex
	lastEventID []string // the Last-Event-ID header (or lastEventId parameter) of each request
	deny        bool
}

func (l *requestLog) option() server.Option {
	return sse.Authorize(func(r *http.Request, topics []string) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		id := r.Header.Get("Last-Event-ID")
		if id == "" {
			id = r.URL.Query().Get("lastEventId")
		}
		l.lastEventID = append(l.lastEventID, id)
		if l.deny {
			return fmt.Errorf("%w: the demo test wants a token", sse.ErrUnauthorized)
		}
		return nil
	})
}

func (l *requestLog) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lastEventID...)
}

// waitQuiet lets d pass (for the tests that check something does NOT
// happen; never used to wait for something to happen).
func waitQuiet(d time.Duration) { time.Sleep(d) }
