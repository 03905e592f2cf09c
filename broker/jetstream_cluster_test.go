package broker_test

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	mbroker "go-micro.dev/v4/broker"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// jsRuns is how many times the cluster failover tests run in a row
// (go test -run Cluster ./broker -js.runs=10).
var jsRuns = flag.Int("js.runs", 3, "runs of each JetStream cluster failover test")

// resumeBound is the bound this package states for a node to deliver
// again after its NATS server or the stream's leader is lost: every
// acknowledged event reaches every client within it.
const resumeBound = 10 * time.Second

// clusterNode starts an SSE node whose NATS connection is on server i of
// c first, with every server's URL.
func clusterNode(t *testing.T, c *ssetest.NATSCluster, i int, bopts ...mbroker.Option) *jsNode {
	t.Helper()
	nc := c.Connect(i)
	b := ssebroker.NewBroker(append([]mbroker.Option{ssebroker.JetStream(nc, stream)}, bopts...)...)
	svc := ssetest.StartService(t, sse.NewServer(), ssetest.ServiceOptions{Name: "sse", Broker: b})
	return &jsNode{svc: svc, broker: b, nc: nc}
}

// createReplicatedStream creates the test stream with 3 replicas through
// server 0.
func createReplicatedStream(t *testing.T, c *ssetest.NATSCluster) {
	t.Helper()
	js, err := jetstream.New(c.Connect(0))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), ssetest.Timeout)
	defer cancel()
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{stream + ".*"}, Replicas: 3, Storage: jetstream.FileStorage})
	require.NoError(t, err)
}

// received is what one client read: each event's number, when it came.
type received struct {
	mu sync.Mutex
	n  []int
	at []time.Time
}

// collect reads s's events (data: a number) into a received until s ends;
// the returned channel is closed then.
func collect(t *testing.T, s *ssetest.Stream) (*received, <-chan struct{}) {
	r := &received{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range s.Events {
			n, err := strconv.Atoi(string(ev.Data))
			if err != nil {
				t.Errorf("event %q: data %q is no number", ev.ID, ev.Data)
				continue
			}
			r.mu.Lock()
			r.n = append(r.n, n)
			r.at = append(r.at, time.Now())
			r.mu.Unlock()
		}
	}()
	return r, done
}

// has reports whether the client read n.
func (r *received) has(n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.n) - 1; i >= 0; i-- {
		if r.n[i] == n {
			return true
		}
	}
	return false
}

// acked is what a publisher got acknowledged: each number and when.
type acked struct {
	mu     sync.Mutex
	at     map[int]time.Time
	last   int
	failed int
}

// publishEvery publishes 1, 2, ... to topic through b every period until
// stop is closed; the returned channel is closed when it has stopped.
func publishEvery(b mbroker.Broker, topic string, period time.Duration, stop <-chan struct{}) (*acked, <-chan struct{}) {
	a := &acked{at: map[int]time.Time{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			err := b.Publish(topic, msg(strconv.Itoa(n)))
			a.mu.Lock()
			if err == nil {
				a.at[n] = time.Now()
				a.last = n
			} else {
				a.failed++
			}
			a.mu.Unlock()
		}
	}()
	return a, done
}

// TestJetStreamClusterLeaderKilledLosesNoBrowser: three nats-servers, a
// 3-replica stream, three SSE nodes each on another server (with every
// URL), a client on each and a publisher every 25ms on the node of the
// stream leader's server. The leader's server is killed (SIGKILL). Every
// acknowledged event reaches every client exactly once, in order, within
// resumeBound of its acknowledgement.
func TestJetStreamClusterLeaderKilledLosesNoBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("a nats cluster in child processes")
	}
	for run := range *jsRuns {
		t.Run(strconv.Itoa(run), leaderKilledRun)
	}
}

func leaderKilledRun(t *testing.T) {
	c := ssetest.StartNATSCluster(t, 3)
	createReplicatedStream(t, c)
	leader := c.StreamLeader(c.Connect(0), stream)
	nodes := make([]*jsNode, c.Len())
	clients := make([]*received, c.Len())
	for i := range nodes {
		nodes[i] = clusterNode(t, c, i, ssebroker.JetStreamPublishTimeout(2*time.Second))
		s := nodes[i].open(t, "ticks", "")
		var done <-chan struct{}
		clients[i], done = collect(t, s)
		t.Cleanup(func() { s.Close(); <-done })
	}

	stop := make(chan struct{})
	pub, published := publishEvery(nodes[leader].broker, "ticks", 25*time.Millisecond, stop)
	time.Sleep(time.Second)
	killed := time.Now()
	c.Kill(leader)
	time.Sleep(resumeBound + 2*time.Second)
	close(stop)
	<-published

	pub.mu.Lock()
	last, failed := pub.last, pub.failed
	ackedAfterKill := 0
	for _, at := range pub.at {
		if at.After(killed) {
			ackedAfterKill++
		}
	}
	pub.mu.Unlock()
	require.Positive(t, ackedAfterKill, "publishes acknowledged again after the kill")
	for i, r := range clients {
		ssetest.Eventually(t, fmt.Sprintf("client on node %d reads %d", i, last), func() bool { return r.has(last) })
	}

	var worst time.Duration
	for i, r := range clients {
		r.mu.Lock()
		seen := make(map[int]time.Time, len(r.n))
		for k, n := range r.n {
			if k > 0 && n <= r.n[k-1] {
				t.Errorf("node %d: %d after %d: out of order or twice", i, n, r.n[k-1])
			}
			seen[n] = r.at[k]
		}
		r.mu.Unlock()
		pub.mu.Lock()
		missing := 0
		for n, ackAt := range pub.at {
			got, ok := seen[n]
			if !ok {
				missing++
				continue
			}
			worst = max(worst, got.Sub(ackAt))
		}
		pub.mu.Unlock()
		assert.Zero(t, missing, "node %d: acknowledged events its client never read", i)
	}
	t.Logf("leader n%d killed: %d acknowledged (%d after the kill), %d failed; worst acknowledgement-to-client delay %v",
		leader, len(pub.at), ackedAfterKill, failed, worst.Round(time.Millisecond))
	assert.LessOrEqual(t, worst, resumeBound, "every acknowledged event reaches every client within the bound")
}
