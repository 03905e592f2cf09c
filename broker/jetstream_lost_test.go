package broker_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// gate is a nats.CustomDialer that the test can cut: while cut, the
// connections it made are closed and new ones are refused.
type gate struct {
	mu    sync.Mutex
	down  bool
	conns []net.Conn
}

var errCutOff = errors.New("cut off from nats")

// Dial implements nats.CustomDialer.
func (g *gate) Dial(network, address string) (net.Conn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down {
		return nil, errCutOff
	}
	c, err := net.Dial(network, address)
	if err == nil {
		g.conns = append(g.conns, c)
	}
	return c, err
}

// cut closes the connections made and refuses new ones until restore.
func (g *gate) cut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = true
	for _, c := range g.conns {
		_ = c.Close()
	}
	g.conns = nil
}

// restore lets connections through again.
func (g *gate) restore() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = false
}

// TestJetStreamEventsLostBeforeANodeReadThemAreReset: node A is cut off
// from NATS while B publishes 5 events on one topic with a per-subject
// limit of 2: the stream drops 3 of them before A could consume them. A's
// open stream gets sse-reset (evicted) at the gap, then the events the
// stream kept: never a silent skip, ids increasing.
func TestJetStreamEventsLostBeforeANodeReadThemAreReset(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	limit := []mbroker.Option{ssebroker.JetStreamMaxMsgsPerSubject(2)}
	g := &gate{}
	nc, err := nats.Connect(ns.ClientURL(), nats.SetCustomDialer(g), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	aBroker := ssebroker.NewBroker(append([]mbroker.Option{ssebroker.JetStream(nc, stream)}, limit...)...)
	a := &jsNode{svc: ssetest.StartService(t, sse.NewServer(), ssetest.ServiceOptions{Name: "sse", Broker: aBroker}), broker: aBroker, nc: nc}
	b := startNode(t, ns.ClientURL(), limit)
	onA := a.open(t, "ticks", "")

	b.publish(t, "ticks", "0")
	prev := seqOf(t, nextData(t, onA, "0").ID)

	g.cut()
	ssetest.Eventually(t, "node A notices it is cut off", func() bool { return !a.nc.IsConnected() })
	for i := 1; i <= 5; i++ {
		b.publish(t, "ticks", fmt.Sprint(i)) // the stream keeps 4 and 5 only
	}
	g.restore()

	reset := onA.Next(t)
	require.Equal(t, codec.ResetEventType, reset.Event, "the first frame after the loss (id %q, data %q)", reset.ID, reset.Data)
	assert.Contains(t, string(reset.Data), `"`+codec.ResetEvicted+`"`)
	assert.Equal(t, prev+3, seqOf(t, reset.ID), "the reset stands at the gap's end")
	prev = seqOf(t, reset.ID)
	for _, want := range []string{"4", "5"} {
		ev := nextData(t, onA, want)
		require.Greater(t, seqOf(t, ev.ID), prev, "ids increase")
		prev = seqOf(t, ev.ID)
	}
	require.NoError(t, onA.Err(), "the stream stays open")
}

// TestJetStreamReadyFailsWhileTheNodeCannotFeed: while its NATS server is
// down the node cannot feed its hub: after JetStreamUnreadyAfter Ready
// fails (ErrFeedStalled), Stats say how long it has been behind, and its
// streams end with a retry hint and new ones are refused (503,
// Retry-After, counted as not ready), so browsers move elsewhere; once the server is back the node consumes again (a
// restart counted), Ready passes, and a browser resuming on it gets what
// was published meanwhile.
func TestJetStreamReadyFailsWhileTheNodeCannotFeed(t *testing.T) {
	dir := t.TempDir()
	ns := runNATS(t, dir, -1)
	url := ns.ClientURL()
	a := startNode(t, url, []mbroker.Option{ssebroker.JetStreamUnreadyAfter(time.Second)})
	ready := ssebroker.HealthCheck(a.broker)
	require.NoError(t, ready(context.Background()))
	onA := a.open(t, "ticks", "")
	a.publish(t, "ticks", "1")
	last := nextData(t, onA, "1").ID

	stopNATS(ns)
	ssetest.Eventually(t, "Ready fails", func() bool { return errors.Is(ready(context.Background()), ssebroker.ErrFeedStalled) })
	assert.Greater(t, statsOf(a.broker).JetStreamBehindFor, time.Second)
	assert.True(t, ssetest.IsEnd(onA.WaitEnd(t)), "the open stream ends: %v", onA.Err())
	assert.Positive(t, onA.Retry(), "with a retry hint")
	_, err := ssetest.Open(context.Background(), nil, ssetest.EventsURL(a.svc.URL("/events"), "ticks"), last)
	var refused *ssetest.StatusError
	require.ErrorAs(t, err, &refused, "a stream asked for while not ready is refused")
	assert.Equal(t, http.StatusServiceUnavailable, refused.Code)
	after, _ := strconv.Atoi(refused.Header.Get("Retry-After"))
	assert.GreaterOrEqual(t, after, int(sse.DefaultRetry/time.Second), "Retry-After: Retry and a jitter")
	assert.LessOrEqual(t, after, int((sse.DefaultRetry+sse.DefaultShutdownJitter)/time.Second))
	assert.Equal(t, uint64(1), a.srv.Stats().Endpoint.Refused[sse.ReasonNotReady], "counted as not_ready")

	runNATS(t, dir, natsPort(t, url))
	b := startNode(t, url, nil)
	b.publish(t, "ticks", "2")
	ssetest.Eventually(t, "Ready passes again", func() bool { return ready(context.Background()) == nil })
	resumed := a.open(t, "ticks", last)
	nextData(t, resumed, "2")
	st := statsOf(a.broker)
	assert.Positive(t, st.JetStreamRestarts, "the node consumed again")
	assert.Equal(t, uint64(2), st.JetStreamFed)
	assert.Zero(t, st.JetStreamLag)
	assert.Zero(t, st.JetStreamBehindFor)
	assert.Less(t, st.JetStreamSinceFed, ssetest.Timeout)

	require.NoError(t, a.broker.Disconnect())
	assert.ErrorIs(t, ready(context.Background()), ssebroker.ErrNotConnected)
	assert.NoError(t, ssebroker.HealthCheck(mbroker.NewMemoryBroker())(context.Background()))
}

// TestJetStreamNodeLeavesTheRegistryWhileItCannotFeed: a node whose feed
// is stalled longer than JetStreamUnreadyAfter deregisters at its next
// RegisterInterval, and registers again once it feeds.
func TestJetStreamNodeLeavesTheRegistryWhileItCannotFeed(t *testing.T) {
	dir := t.TempDir()
	ns := runNATS(t, dir, -1)
	url := ns.ClientURL()
	a := startNode(t, url, []mbroker.Option{ssebroker.JetStreamUnreadyAfter(500 * time.Millisecond)},
		server.RegisterInterval(100*time.Millisecond))
	nodes := func() int {
		svcs, err := a.svc.Registry.GetService("sse")
		if err != nil {
			return 0
		}
		n := 0
		for _, s := range svcs {
			n += len(s.Nodes)
		}
		return n
	}
	require.Equal(t, 1, nodes())

	stopNATS(ns)
	ssetest.Eventually(t, "the node deregisters", func() bool { return nodes() == 0 })
	runNATS(t, dir, natsPort(t, url))
	ssetest.Eventually(t, "the node registers again", func() bool { return nodes() == 1 })
}
