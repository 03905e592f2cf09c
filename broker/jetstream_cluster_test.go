package broker_test

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
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
func clusterNode(t testing.TB, c *ssetest.NATSCluster, i int, bopts ...mbroker.Option) *jsNode {
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
		t.Run(strconv.Itoa(run), func(t *testing.T) { leaderKilledRun(t, 1) })
	}
}

// TestJetStreamClusterServerLostUnderSixNodes: the same with two nodes on
// each server; the server lost never returns.
func TestJetStreamClusterServerLostUnderSixNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("a nats cluster in child processes")
	}
	leaderKilledRun(t, 2)
}

// leaderKilledRun is one run of the failover tests with perServer SSE
// nodes on each server.
func leaderKilledRun(t *testing.T, perServer int) {
	c := ssetest.StartNATSCluster(t, 3)
	createReplicatedStream(t, c)
	leader := c.StreamLeader(c.Connect(0), stream)
	nodes, clients := clusterNodesWithClients(t, c, perServer)

	stop := make(chan struct{})
	pub, published := publishEvery(nodes[leader].broker, "ticks", 25*time.Millisecond, stop)
	time.Sleep(time.Second)
	killed := time.Now()
	c.Kill(leader)
	// Publishing resumes once the stream has a new leader (seconds; more
	// on a loaded machine): go on for resumeBound after that.
	ssetest.Eventually(t, "publishes acknowledged after the kill", func() bool {
		pub.mu.Lock()
		defer pub.mu.Unlock()
		return pub.at[pub.last].After(killed)
	})
	time.Sleep(resumeBound)
	close(stop)
	<-published

	worst := checkEveryClient(t, pub, clients)
	t.Logf("%d nodes, leader n%d killed: %d acknowledged, %d failed; worst acknowledgement-to-client delay %v",
		len(nodes), leader, len(pub.at), pub.failed, worst.Round(time.Millisecond))
	assert.LessOrEqual(t, worst, resumeBound, "every acknowledged event reaches every client within the bound")
}

// clusterNodesWithClients starts perServer SSE nodes on each server of c
// (node i on server i % c.Len() first), each with a client reading
// "ticks".
func clusterNodesWithClients(t *testing.T, c *ssetest.NATSCluster, perServer int) ([]*jsNode, []*received) {
	t.Helper()
	nodes := make([]*jsNode, perServer*c.Len())
	clients := make([]*received, len(nodes))
	for i := range nodes {
		nodes[i] = clusterNode(t, c, i%c.Len(), ssebroker.JetStreamPublishTimeout(2*time.Second))
		s := nodes[i].open(t, "ticks", "")
		var done <-chan struct{}
		clients[i], done = collect(t, s)
		t.Cleanup(func() { s.Close(); <-done })
	}
	return nodes, clients
}

// checkEveryClient waits until every client read the last acknowledged
// event, checks that each read every acknowledged event once, in order,
// and returns the worst delay from an acknowledgement to a client.
func checkEveryClient(t *testing.T, pub *acked, clients []*received) time.Duration {
	t.Helper()
	pub.mu.Lock()
	last := pub.last
	pub.mu.Unlock()
	require.Positive(t, last, "publishes acknowledged")
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
	return worst
}

// TestJetStreamClusterRollingRestart: the three servers restarted in turn
// (a graceful shutdown each: an upgrade), a publisher every 25ms and a
// client on each of three nodes: every acknowledged event reaches every
// client once, in order, and none more than 5s after its acknowledgement.
func TestJetStreamClusterRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("a nats cluster in child processes")
	}
	c := ssetest.StartNATSCluster(t, 3)
	createReplicatedStream(t, c)
	admin := c.Connect(0)
	nodes, clients := clusterNodesWithClients(t, c, 1)

	stop := make(chan struct{})
	pub, published := publishEvery(nodes[0].broker, "ticks", 25*time.Millisecond, stop)
	time.Sleep(time.Second)
	for i := range c.Len() {
		c.Stop(i)
		time.Sleep(500 * time.Millisecond)
		c.Start(i)
		c.WaitStreamCurrent(admin, stream)
		time.Sleep(time.Second)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	<-published

	worst := checkEveryClient(t, pub, clients)
	restarts := 0
	for _, n := range nodes {
		restarts += int(statsOf(n.broker).JetStreamRestarts)
	}
	t.Logf("rolling restart: %d acknowledged, %d failed, %d consumer restarts; worst acknowledgement-to-client delay %v",
		len(pub.at), pub.failed, restarts, worst.Round(time.Millisecond))
	assert.LessOrEqual(t, worst, 5*time.Second, "no event reaches a client more than 5s after its acknowledgement")
}

// TestJetStreamClusterNodeStartsDuringElection: a node started 200ms after
// the stream leader's server is killed (the stream has no leader for
// seconds) starts within its connect wait and serves: an event published
// through another node reaches its client.
func TestJetStreamClusterNodeStartsDuringElection(t *testing.T) {
	if testing.Short() {
		t.Skip("a nats cluster in child processes")
	}
	c := ssetest.StartNATSCluster(t, 3)
	createReplicatedStream(t, c)
	leader := c.StreamLeader(c.Connect(0), stream)
	survivor := (leader + 1) % c.Len()
	c.Kill(leader)
	time.Sleep(200 * time.Millisecond)

	late := clusterNode(t, c, survivor) // StartService fails the test if Run fails
	onLate := late.open(t, "ticks", "")
	other := clusterNode(t, c, (leader+2)%c.Len())
	require.NoError(t, other.broker.Publish("ticks", msg("after the election")))
	nextData(t, onLate, "after the election")
}

// TestJetStreamClusterReplicas: the stream the broker creates has the
// replicas asked for (JetStreamReplicas, or JetStreamConfig with a
// placement), and a stream that exists is used as it is.
func TestJetStreamClusterReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("a nats cluster in child processes")
	}
	c := ssetest.StartNATSCluster(t, 3)
	js, err := jetstream.New(c.Connect(0))
	require.NoError(t, err)
	info := func(name string) *jetstream.StreamInfo {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), ssetest.Timeout)
		defer cancel()
		s, err := js.Stream(ctx, name)
		require.NoError(t, err)
		return s.CachedInfo()
	}
	connect := func(name string, opts ...mbroker.Option) mbroker.Broker {
		t.Helper()
		b := ssebroker.NewBroker(append([]mbroker.Option{ssebroker.JetStream(c.Connect(1), name)}, opts...)...)
		require.NoError(t, b.Connect())
		t.Cleanup(func() { _ = b.Disconnect() })
		return b
	}

	connect("three", ssebroker.JetStreamReplicas(3), ssebroker.JetStreamMaxAge(time.Hour))
	got := info("three")
	assert.Equal(t, 3, got.Config.Replicas)
	assert.Len(t, got.Cluster.Replicas, 2, "two replicas besides the leader")
	assert.Equal(t, time.Hour, got.Config.MaxAge)

	connect("given", ssebroker.JetStreamConfig(jetstream.StreamConfig{
		Replicas: 3, Storage: jetstream.MemoryStorage, Duplicates: time.Minute,
		Placement: &jetstream.Placement{Cluster: "ssetest"},
	}), ssebroker.JetStreamReplicas(1))
	got = info("given")
	assert.Equal(t, 3, got.Config.Replicas, "the configuration given wins over JetStreamReplicas")
	assert.Equal(t, jetstream.MemoryStorage, got.Config.Storage)
	assert.Equal(t, time.Minute, got.Config.Duplicates)
	assert.Equal(t, []string{"given.*"}, got.Config.Subjects)

	ctx, cancel := context.WithTimeout(context.Background(), ssetest.Timeout)
	defer cancel()
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "mine", Subjects: []string{"mine.>"}, MaxMsgsPerSubject: 5})
	require.NoError(t, err)
	b := connect("mine", ssebroker.JetStreamReplicas(3))
	got = info("mine")
	assert.Equal(t, 1, got.Config.Replicas, "an existing stream is left as it is")
	assert.Equal(t, int64(5), got.Config.MaxMsgsPerSubject)
	require.NoError(t, b.Publish("ticks", msg("stored in mine")))
	assert.Equal(t, uint64(1), info("mine").State.Msgs)
}

// TestJetStreamClusterStuckNodeStopsInBoundedTime: a node whose only NATS
// server is killed (its connection reconnects forever, its consumer is
// gone, each new one fails) stops within a few seconds: Disconnect ends
// consuming whatever state the consumer is in.
func TestJetStreamClusterStuckNodeStopsInBoundedTime(t *testing.T) {
	if testing.Short() {
		t.Skip("a nats cluster in child processes")
	}
	c := ssetest.StartNATSCluster(t, 3)
	createReplicatedStream(t, c)
	nc, err := nats.Connect(c.URL(0), nats.IgnoreDiscoveredServers(), // this server only
		nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	b := ssebroker.NewBroker(ssebroker.JetStream(nc, stream))
	svc := ssetest.StartService(t, sse.NewServer(), ssetest.ServiceOptions{Name: "sse", Broker: b})
	s := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "ticks"), "")
	require.NoError(t, b.Publish("ticks", msg("1")))
	nextData(t, s, "1")

	c.Kill(0)
	ssetest.Eventually(t, "the node notices", func() bool { return !nc.IsConnected() })
	time.Sleep(3 * time.Second) // consuming fails and is retried meanwhile
	s.Close()
	start := time.Now()
	require.NoError(t, svc.Stop())
	took := time.Since(start)
	t.Logf("a stuck node stopped in %v", took.Round(time.Millisecond))
	assert.Less(t, took, 5*time.Second, "stop is bounded (about 2s for consuming)")
}
