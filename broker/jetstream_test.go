package broker_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	natsbroker "github.com/go-micro/plugins/v4/broker/nats"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// stream is the JetStream stream of these tests.
const stream = "events"

// runNATS starts an embedded nats-server with JetStream on 127.0.0.1:port
// (-1: any) storing in dir, and shuts it down when the test ends.
func runNATS(t testing.TB, dir string, port int) *natsserver.Server {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
	})
	require.NoError(t, err)
	go ns.Start()
	if !ns.ReadyForConnections(ssetest.Timeout) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { stopNATS(ns) })
	return ns
}

// stopNATS shuts ns down and waits until it has.
func stopNATS(ns *natsserver.Server) {
	ns.Shutdown()
	ns.WaitForShutdown()
}

// connectNATS connects to url, reconnecting forever, and closes the
// connection when the test ends (after the services started later).
func connectNATS(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// jsNode is one SSE node of a cluster: a go-micro service with the SSE
// server and a JetStream broker on its own NATS connection.
type jsNode struct {
	srv    *sse.Server
	svc    *ssetest.Service
	broker mbroker.Broker
	nc     *nats.Conn
}

// startNode starts a node on url's JetStream with the server options given.
func startNode(t testing.TB, url string, bopts []mbroker.Option, sopts ...server.Option) *jsNode {
	t.Helper()
	nc := connectNATS(t, url)
	b := ssebroker.NewBroker(append([]mbroker.Option{ssebroker.JetStream(nc, stream)}, bopts...)...)
	srv := sse.NewServer(sopts...)
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "sse", Broker: b})
	return &jsNode{srv: srv, svc: svc, broker: b, nc: nc}
}

// open opens an events stream of topic on n, resuming after last.
func (n *jsNode) open(t *testing.T, topic, last string) *ssetest.Stream {
	t.Helper()
	return ssetest.OpenT(t, ssetest.EventsURL(n.svc.URL("/events"), topic), last)
}

// publish publishes data to topic through n's broker.
func (n *jsNode) publish(t *testing.T, topic, data string) {
	t.Helper()
	require.NoError(t, n.broker.Publish(topic, msg(data, "Sse-Event", "tick")))
}

// seqOf returns the sequence part of an id "<epoch>-<seq base 36>".
func seqOf(t *testing.T, id string) uint64 {
	t.Helper()
	i := strings.LastIndexByte(id, '-')
	require.Positive(t, i, "id %q", id)
	n, err := strconv.ParseUint(id[i+1:], 36, 64)
	require.NoError(t, err, "id %q", id)
	return n
}

// nextData reads the next event of s and checks its data.
func nextData(t *testing.T, s *ssetest.Stream, want string) *codec.Event {
	t.Helper()
	ev := s.Next(t)
	require.Equal(t, want, string(ev.Data), "event %q", ev.ID)
	return ev
}

func TestJetStreamPublishOnOneNodeSameIDOnEveryNode(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	a := startNode(t, ns.ClientURL(), nil)
	b := startNode(t, ns.ClientURL(), nil)
	c := startNode(t, ns.ClientURL(), nil)
	onB, onC := b.open(t, "ticks", ""), c.open(t, "ticks", "")

	for i := 1; i <= 3; i++ {
		a.publish(t, "ticks", fmt.Sprint(i))
	}
	for i := 1; i <= 3; i++ {
		eb, ec := nextData(t, onB, fmt.Sprint(i)), nextData(t, onC, fmt.Sprint(i))
		assert.Equal(t, eb.ID, ec.ID, "the same event has the same id on every node")
		assert.Equal(t, uint64(i), seqOf(t, eb.ID), "the id's sequence is the stream sequence")
		assert.Equal(t, "tick", eb.Event)
	}
	assert.Equal(t, uint64(3), statsOf(a.broker).Published)
}

func TestJetStreamResumeOnAnotherNode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bopts []mbroker.Option // the broker owns the hub: history bounds are its options
	}{
		{"local log reaches back", nil},
		{"local log too short", []mbroker.Option{ssebroker.MaxHistoryEvents(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := runNATS(t, t.TempDir(), -1)
			a := startNode(t, ns.ClientURL(), nil)
			b := startNode(t, ns.ClientURL(), nil)
			c := startNode(t, ns.ClientURL(), tc.bopts)

			onA := a.open(t, "ticks", "")
			watchC := c.open(t, "ticks", "") // to know when C has fed everything
			for i := 1; i <= 3; i++ {
				b.publish(t, "ticks", fmt.Sprint(i))
			}
			var last string
			for i := 1; i <= 3; i++ {
				last = nextData(t, onA, fmt.Sprint(i)).ID
			}
			onA.Close()
			for i := 4; i <= 8; i++ {
				b.publish(t, "ticks", fmt.Sprint(i))
				b.publish(t, "other", "not followed")
			}
			for i := 1; i <= 8; i++ {
				nextData(t, watchC, fmt.Sprint(i))
			}

			onC := c.open(t, "ticks", last)
			prev := seqOf(t, last)
			for i := 4; i <= 8; i++ {
				ev := nextData(t, onC, fmt.Sprint(i))
				require.Greater(t, seqOf(t, ev.ID), prev)
				prev = seqOf(t, ev.ID)
			}
			b.publish(t, "ticks", "live")
			nextData(t, onC, "live") // nothing else in between: no duplicate
		})
	}
}

func TestJetStreamNodeRestartResumesExactly(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	a := startNode(t, ns.ClientURL(), nil)
	b := startNode(t, ns.ClientURL(), nil)
	onA := a.open(t, "ticks", "")
	for i := 1; i <= 3; i++ {
		b.publish(t, "ticks", fmt.Sprint(i))
	}
	var last string
	for i := 1; i <= 3; i++ {
		last = nextData(t, onA, fmt.Sprint(i)).ID
	}
	require.NoError(t, a.svc.Stop())
	onA.Close()
	for i := 4; i <= 6; i++ {
		b.publish(t, "ticks", fmt.Sprint(i))
	}

	restarted := startNode(t, ns.ClientURL(), nil)
	again := restarted.open(t, "ticks", last)
	for i := 4; i <= 6; i++ {
		nextData(t, again, fmt.Sprint(i))
	}
	b.publish(t, "ticks", "7")
	nextData(t, again, "7")
}

func TestJetStreamNATSRestartLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	ns := runNATS(t, dir, -1)
	url := ns.ClientURL()
	a := startNode(t, url, []mbroker.Option{ssebroker.JetStreamPublishTimeout(300 * time.Millisecond)})
	b := startNode(t, url, nil, sse.Heartbeat(50*time.Millisecond))
	onB := b.open(t, "ticks", "")
	for i := 1; i <= 3; i++ {
		a.publish(t, "ticks", fmt.Sprint(i))
	}
	prev := uint64(0)
	for i := 1; i <= 3; i++ {
		prev = seqOf(t, nextData(t, onB, fmt.Sprint(i)).ID)
	}

	stopNATS(ns)
	ssetest.Eventually(t, "node A notices the outage", func() bool { return !a.nc.IsConnected() })
	for range 3 {
		err := a.broker.Publish("ticks", msg("during the outage"))
		require.Error(t, err)
		assert.ErrorIs(t, err, ssebroker.ErrNotAcknowledged)
	}
	assert.NoError(t, onB.Err(), "the browser's stream stays open")

	runNATS(t, dir, natsPort(t, url)) // same store, same port
	ssetest.Eventually(t, "both nodes reconnect", func() bool { return a.nc.IsConnected() && b.nc.IsConnected() })
	for i := 4; i <= 6; i++ {
		a.publish(t, "ticks", fmt.Sprint(i))
	}
	for i := 4; i <= 6; i++ {
		ev := nextData(t, onB, fmt.Sprint(i)) // on the same stream: it stayed open
		require.Equal(t, prev+1, seqOf(t, ev.ID), "no gap, no duplicate")
		prev = seqOf(t, ev.ID)
	}
	require.NoError(t, onB.Err())
}

// natsPort returns the port of a nats:// url.
func natsPort(t *testing.T, url string) int {
	t.Helper()
	i := strings.LastIndexByte(url, ':')
	p, err := strconv.Atoi(url[i+1:])
	require.NoError(t, err)
	return p
}

func TestJetStreamGoMicroNATSBrokerReachesBrowsers(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	a := startNode(t, ns.ClientURL(), nil)
	onA := a.open(t, "news.eu", "")

	plain := natsbroker.NewBroker(mbroker.Addrs(ns.ClientURL()))
	require.NoError(t, plain.Connect())
	t.Cleanup(func() { _ = plain.Disconnect() })
	require.NoError(t, plain.Publish(ssebroker.Subject(stream, "news.eu"), &mbroker.Message{
		Header: map[string]string{"Sse-Event": "headline", "Content-Type": "application/json"},
		Body:   []byte("{\"title\":\"hi\"}\n"),
	}))
	ev := nextData(t, onA, `{"title":"hi"}`)
	assert.Equal(t, "headline", ev.Event)
	assert.Equal(t, uint64(1), seqOf(t, ev.ID))
}

func TestJetStreamEvictedResumeIsReset(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	a := startNode(t, ns.ClientURL(), []mbroker.Option{ssebroker.JetStreamMaxMsgsPerSubject(2)})
	onA := a.open(t, "ticks", "")
	// One at a time: A reads each event before the per-subject limit
	// drops it from the stream.
	var first string
	for i := 1; i <= 5; i++ {
		a.publish(t, "ticks", fmt.Sprint(i))
		if id := nextData(t, onA, fmt.Sprint(i)).ID; i == 1 {
			first = id
		}
	}
	fresh := startNode(t, ns.ClientURL(), nil) // its log starts after 5
	s := fresh.open(t, "ticks", first)
	reset := s.Next(t)
	assert.Equal(t, "sse-reset", reset.Event)
	assert.Contains(t, string(reset.Data), `"evicted"`)
}

func TestJetStreamConnectErrors(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	nc := connectNATS(t, ns.ClientURL())
	b := ssebroker.NewBroker(ssebroker.JetStream(nc, "bad.name"))
	assert.ErrorIs(t, b.Connect(), ssebroker.ErrInvalidStream)
	b = ssebroker.NewBroker(ssebroker.JetStream(nil, stream))
	assert.ErrorIs(t, b.Connect(), ssebroker.ErrNoConnection)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "foreign", Subjects: []string{"elsewhere.>"}})
	require.NoError(t, err)
	b = ssebroker.NewBroker(ssebroker.JetStream(nc, "foreign"))
	assert.ErrorIs(t, b.Connect(), ssebroker.ErrStreamSubjects, "a stream without the subjects foreign.*")

	b = ssebroker.NewBroker(ssebroker.JetStream(nc, stream))
	assert.ErrorIs(t, b.Publish("ticks", msg("x")), ssebroker.ErrNotConnected)
	require.NoError(t, b.Connect())
	assert.ErrorIs(t, b.Publish("bell\a", msg("x")), hub.ErrInvalidTopic, "no node's hub takes it: not stored")
	assert.ErrorIs(t, b.Publish("ticks", msg("x", "Sse-Retry", "soon")), codec.ErrInvalidRetry)
	assert.Equal(t, uint64(0), statsOf(b).Published)
	require.NoError(t, b.Disconnect())
	assert.True(t, errors.Is(b.Publish("ticks", msg("x")), ssebroker.ErrNotConnected))
}

func TestJetStreamGoMicroSubscribersOnEveryNode(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	a := startNode(t, ns.ClientURL(), nil)
	got := make(chan *Tick, 4)
	nc := connectNATS(t, ns.ClientURL())
	b := ssebroker.NewBroker(ssebroker.JetStream(nc, stream))
	startSSE(t, "subscriber", b, nil, "ticks", got) // micro.RegisterSubscriber on node B

	ctx := metadataContext(map[string]string{"Sse-Event": "tick"})
	require.NoError(t, micro.NewEvent("ticks", a.svc.Client()).Publish(ctx, &Tick{N: 7, Text: "from A"}))
	assert.Equal(t, &Tick{N: 7, Text: "from A"}, ssetest.Recv(t, got, "node B's go-micro subscriber"))
}

func TestJetStreamSkipsWhatIsNoEvent(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	a := startNode(t, ns.ClientURL(), nil)
	onA := a.open(t, "ticks", "")
	raw := connectNATS(t, ns.ClientURL())
	require.NoError(t, raw.Publish(stream+".%41", []byte("not the canonical subject of a topic")))
	require.NoError(t, raw.PublishMsg(&nats.Msg{Subject: ssebroker.Subject(stream, "ticks"),
		Header: nats.Header{"Sse-Retry": {"soon"}}, Data: []byte("no retry in milliseconds")}))
	require.NoError(t, raw.PublishMsg(&nats.Msg{Subject: ssebroker.Subject(stream, "ticks"),
		Header: nats.Header{"Sse-Event": {"raw"}}, Data: []byte("plain nats pub")}))
	ev := nextData(t, onA, "plain nats pub")
	assert.Equal(t, "raw", ev.Event)
	assert.Equal(t, uint64(3), seqOf(t, ev.ID))
	// The feed records the sequence once its message is handed on: the
	// client may read the event first.
	ssetest.Eventually(t, "sequence 3 recorded as fed", func() bool { return statsOf(a.broker).JetStreamFed == 3 })
	st := statsOf(a.broker)
	assert.Equal(t, uint64(3), st.JetStreamFed)
	assert.Equal(t, uint64(2), st.JetStreamNotEvents)
}

func TestJetStreamBrokerReconnectsWithANewHub(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	nc := connectNATS(t, ns.ClientURL())
	b := ssebroker.NewBroker(ssebroker.JetStream(nc, stream))
	svc := ssetest.StartService(t, sse.NewServer(), ssetest.ServiceOptions{Name: "sse", Broker: b})
	first := b.(hub.Provider).SSEHub()
	s := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "ticks"), "")
	for i := 1; i <= 3; i++ {
		require.NoError(t, b.Publish("ticks", msg(fmt.Sprint(i))))
	}
	last := ""
	for i := 1; i <= 3; i++ {
		last = nextData(t, s, fmt.Sprint(i)).ID
	}
	require.NoError(t, svc.Stop()) // Disconnect: consuming stops, the hub closes
	assert.True(t, first.Closed())
	assert.Equal(t, uint64(3), statsOf(b).JetStreamFed)
	assert.ErrorIs(t, b.Publish("ticks", msg("x")), ssebroker.ErrNotConnected)
	other := startNode(t, ns.ClientURL(), nil)
	for i := 4; i <= 5; i++ { // while this node is away
		other.publish(t, "ticks", fmt.Sprint(i))
	}

	svc = ssetest.StartService(t, sse.NewServer(), ssetest.ServiceOptions{Name: "sse", Broker: b})
	second := b.(hub.Provider).SSEHub()
	require.NotSame(t, first, second)
	resumed := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "ticks"), last)
	fourth := nextData(t, resumed, "4") // from the stream: the new hub's log starts at 6
	lastEpoch, _, _ := strings.Cut(last, "-")
	fourthEpoch, _, _ := strings.Cut(fourth.ID, "-")
	assert.Equal(t, lastEpoch, fourthEpoch, "the stream's epoch, on both hubs")
	nextData(t, resumed, "5")
	require.NoError(t, b.Publish("ticks", msg("6")))
	nextData(t, resumed, "6")
}

func TestJetStreamConfigThatCannotHoldTopicsIsRefused(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	nc := connectNATS(t, ns.ClientURL())
	b := ssebroker.NewBroker(ssebroker.JetStream(nc, stream),
		ssebroker.JetStreamConfig(jetstream.StreamConfig{Subjects: []string{"elsewhere.>"}}))
	assert.ErrorIs(t, b.Connect(), ssebroker.ErrStreamSubjects)
	b = ssebroker.NewBroker(ssebroker.JetStream(nc, stream),
		ssebroker.JetStreamConfig(jetstream.StreamConfig{Name: "another"}))
	assert.ErrorIs(t, b.Connect(), ssebroker.ErrInvalidStream)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.Stream(context.Background(), stream)
	assert.ErrorIs(t, err, jetstream.ErrStreamNotFound, "nothing created")

	b = ssebroker.NewBroker(ssebroker.JetStream(nc, stream),
		ssebroker.JetStreamConfig(jetstream.StreamConfig{Subjects: []string{stream + ".>"}, MaxMsgsPerSubject: 3}))
	require.NoError(t, b.Connect())
	t.Cleanup(func() { _ = b.Disconnect() })
	s, err := js.Stream(context.Background(), stream)
	require.NoError(t, err)
	assert.Equal(t, int64(3), s.CachedInfo().Config.MaxMsgsPerSubject)
}

// TestJetStreamRetriedPublishIsStoredOnce: a publisher that retries (its
// acknowledgement lost) with the same message id, its own (Nats-Msg-Id) or
// go-micro's (Micro-ID), stores the event once and every browser gets it
// once; without an id each publish is a new event.
func TestJetStreamRetriedPublishIsStoredOnce(t *testing.T) {
	ns := runNATS(t, t.TempDir(), -1)
	a := startNode(t, ns.ClientURL(), nil)
	onA := a.open(t, "orders", "")
	js, err := jetstream.New(connectNATS(t, ns.ClientURL()))
	require.NoError(t, err)
	stored := func() uint64 {
		s, err := js.Stream(context.Background(), stream)
		require.NoError(t, err)
		return s.CachedInfo().State.Msgs
	}

	for range 2 {
		require.NoError(t, a.broker.Publish("orders", msg("order 1", "Nats-Msg-Id", "order-1")))
	}
	for range 2 {
		require.NoError(t, a.broker.Publish("orders", msg("order 2", "Micro-ID", "6f1c-go-micro-id")))
	}
	assert.Equal(t, uint64(2), stored(), "each retried publish stored once")
	for range 2 {
		require.NoError(t, a.broker.Publish("orders", msg("no id")))
	}
	assert.Equal(t, uint64(4), stored(), "publishes without an id are events of their own")

	for _, want := range []string{"order 1", "order 2", "no id", "no id"} {
		nextData(t, onA, want)
	}
	require.NoError(t, a.broker.Publish("orders", msg("last")))
	nextData(t, onA, "last") // nothing else in between: no duplicate reached the browser
}
