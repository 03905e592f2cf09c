package broker_test

import (
	"context"
	"errors"
	"flag"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// deployClients is the number of clients of the rolling deploy test: a
// few hundred by default (make test runs it under -race), 2,000 with
// go test ./broker -run RollingDeploy -js.deploy-clients=2000. Each client
// holds four descriptors of the test process (its own, the proxy's two,
// the server's): 2,000 clients about 8,000, within a limit of 20,000.
var deployClients = flag.Int("js.deploy-clients", 300, "clients of the rolling deploy test")

// TestJetStreamRollingDeployBehindAProxy: three SSE nodes on one
// JetStream behind a TCP load balancer, clients reading through it and a
// publisher every 50 ms; each node is stopped (its clients get a last
// retry: jittered over ShutdownJitter) and started again in turn, the
// clients coming back through the balancer with their Last-Event-ID as a
// browser does. Every client ends with every acknowledged event exactly
// once, in order, and the clients are told to come back spread over the
// jitter: no second sees much more than the clients of the whole cluster
// divided by ShutdownJitter's seconds (without the jitter a node's
// clients would all come back in the same instant). It logs the peaks of
// the comebacks told and done, per 100 ms and per second.
func TestJetStreamRollingDeployBehindAProxy(t *testing.T) {
	url := ssetest.JetStreamServer(t)
	sopts := []server.Option{sse.MaxConnectionsPerClient(-1), sse.ConnectRate(-1, 0)} // every client is the proxy's 127.0.0.1
	nodes := make([]*jsNode, 3)
	addrs := make([]string, len(nodes))
	for i := range nodes {
		nodes[i] = startNode(t, url, nil, sopts...)
		addrs[i] = nodes[i].svc.Addr()
	}
	proxy := ssetest.StartProxy(t, addrs...)
	eventsURL := ssetest.EventsURL("http://"+proxy.Addr()+"/events", "ticks")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	back := &comebacks{}
	var opened atomic.Int64
	clients := make([]*deployClient, *deployClients)
	for i := range clients {
		clients[i] = &deployClient{url: eventsURL}
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i].run(ctx, back, &opened)
		}()
		if i%50 == 49 { // open in waves, as a page load would not be all at once
			time.Sleep(10 * time.Millisecond)
		}
	}
	ssetest.Eventually(t, "every client reads", func() bool { return opened.Load() == int64(len(clients)) })

	pubBroker := ssebroker.NewBroker(ssebroker.JetStream(ssetest.NATSConn(t, url), stream))
	require.NoError(t, pubBroker.Connect())
	t.Cleanup(func() { _ = pubBroker.Disconnect() })
	stop := make(chan struct{})
	pub, published := publishEvery(pubBroker, "ticks", 50*time.Millisecond, stop)
	time.Sleep(time.Second)

	deployed := time.Now()
	for i := range nodes {
		began := time.Now()
		require.NoError(t, nodes[i].svc.Stop())
		stopped := time.Since(began)
		nodes[i] = startNode(t, url, nil, sopts...)
		proxy.SetBackend(i, nodes[i].svc.Addr())
		t.Logf("node %d: stopped in %v, started again in %v", i, stopped.Round(time.Millisecond), (time.Since(began) - stopped).Round(time.Millisecond))
		time.Sleep(2 * time.Second)
	}
	// The last node's clients come back within Retry + ShutdownJitter.
	ssetest.Eventually(t, "every client reads again", func() bool { return opened.Load() == int64(len(clients)) })
	time.Sleep(time.Second)
	close(stop)
	<-published
	took := time.Since(deployed)

	pub.mu.Lock()
	want := make([]int, 0, len(pub.at))
	for n := range pub.at {
		want = append(want, n)
	}
	failed := pub.failed
	pub.mu.Unlock()
	slices.Sort(want)
	ssetest.Eventually(t, "every client has every acknowledged event", func() bool {
		for _, c := range clients {
			if c.count() < len(want) {
				return false
			}
		}
		return true
	})
	for i, c := range clients {
		c.mu.Lock()
		got := c.got
		c.mu.Unlock()
		if !assert.Equal(t, want, got, "client %d: every acknowledged event exactly once, in order", i) {
			break
		}
	}

	back.mu.Lock()
	due, at, refused := back.due, back.at, back.refused
	back.mu.Unlock()
	told100ms, toldSecond := peaks(due)
	came100ms, cameSecond := peaks(at)
	promised := float64(len(clients)) / sse.DefaultShutdownJitter.Seconds() // per second, were every node's clients away at once
	t.Logf("%d clients, 3 nodes stopped and started in turn in %v; %d acknowledged (%d failed); %d comebacks (%d refused); told to come back: at most %d in 100 ms, %d in a second; came back: at most %d in 100 ms, %d in a second; the jitter promises at most %.0f/s (%.1f per 100 ms) on average",
		len(clients), took.Round(time.Millisecond), len(want), failed, len(at), refused, told100ms, toldSecond, came100ms, cameSecond, promised, promised/10)
	assert.Zero(t, failed, "one nats-server, always up: every publish acknowledged")
	// A uniform spread gives about promised a second, give or take its
	// square root; without it a node's clients would come back at once.
	assert.LessOrEqual(t, float64(toldSecond), promised+5*math.Sqrt(promised)+5, "the clients of a stopped node are told to come back spread over ShutdownJitter")
}

// deployClient reads one stream through the balancer as a browser's
// EventSource does: when it ends it waits the last retry: and comes back
// with the Last-Event-ID; refused, it waits Retry-After.
type deployClient struct {
	url string

	mu     sync.Mutex
	got    []int
	lastID string
}

// count is how many events c read.
func (c *deployClient) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}

// run reads until ctx ends; opened counts the clients reading now.
func (c *deployClient) run(ctx context.Context, back *comebacks, opened *atomic.Int64) {
	first := true
	for ctx.Err() == nil {
		if !first {
			back.add(time.Now())
		}
		c.mu.Lock()
		last := c.lastID
		c.mu.Unlock()
		s, err := ssetest.Open(ctx, nil, c.url, last)
		if err != nil {
			wait := time.Second
			var se *ssetest.StatusError
			if errors.As(err, &se) {
				back.refuse()
				if n, err := strconv.Atoi(se.Header.Get("Retry-After")); err == nil {
					wait = time.Duration(n) * time.Second
				}
			}
			back.plan(time.Now().Add(wait))
			sleepCtx(ctx, wait)
			continue
		}
		first = false
		opened.Add(1)
		for ev := range s.Events {
			n, err := strconv.Atoi(string(ev.Data))
			if err != nil {
				n = -1 // a reset or anything else: no acknowledged event
			}
			c.mu.Lock()
			c.got = append(c.got, n)
			c.lastID = ev.ID
			c.mu.Unlock()
		}
		opened.Add(-1)
		retry := s.Retry()
		s.Close()
		if retry <= 0 {
			retry = sse.DefaultRetry
		}
		back.plan(time.Now().Add(retry))
		sleepCtx(ctx, retry)
	}
}

// sleepCtx sleeps d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}

// comebacks records when clients were told to come back (the end of a
// stream plus its last retry:, a refusal plus its Retry-After) and when
// they did (every request after a client's first stream; later than told
// when the test process is short of CPU).
type comebacks struct {
	mu      sync.Mutex
	at      []time.Time
	due     []time.Time
	refused int
}

func (b *comebacks) add(at time.Time) {
	b.mu.Lock()
	b.at = append(b.at, at)
	b.mu.Unlock()
}

func (b *comebacks) plan(due time.Time) {
	b.mu.Lock()
	b.due = append(b.due, due)
	b.mu.Unlock()
}

func (b *comebacks) refuse() {
	b.mu.Lock()
	b.refused++
	b.mu.Unlock()
}

// peaks returns the most of times in one 100 ms bucket and in one second
// (a sliding window).
func peaks(times []time.Time) (per100ms, perSecond int) {
	at := slices.Clone(times)
	slices.SortFunc(at, func(x, y time.Time) int { return x.Compare(y) })
	buckets := map[int64]int{}
	for _, a := range at {
		k := a.UnixMilli() / 100
		buckets[k]++
		per100ms = max(per100ms, buckets[k])
	}
	for i, j := 0, 0; j < len(at); j++ {
		for at[j].Sub(at[i]) >= time.Second {
			i++
		}
		perSecond = max(perSecond, j-i+1)
	}
	return per100ms, perSecond
}
