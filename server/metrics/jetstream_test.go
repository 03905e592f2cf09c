package metrics_test

import (
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	mbroker "go-micro.dev/v4/broker"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
	"github.com/go-micro-sse/go-micro-sse/server/metrics"
)

// TestCollectorJetStreamFeed: with a JetStream broker the collector reports
// the node's feed: ready with no lag while NATS is up, not ready (and
// behind) once the node cannot feed.
func TestCollectorJetStreamFeed(t *testing.T) {
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(ssetest.Timeout) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	b := ssebroker.NewBroker(ssebroker.JetStream(nc, "events"), ssebroker.JetStreamUnreadyAfter(time.Second))
	srv := sse.NewServer()
	ssetest.StartService(t, srv, ssetest.ServiceOptions{Broker: b})
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv))

	if err := b.Publish("ticks", &mbroker.Message{Header: map[string]string{}, Body: []byte("fed")}); err != nil {
		t.Fatal(err)
	}
	ssetest.Eventually(t, "the event fed", func() bool {
		return b.(interface{ Stats() ssebroker.Stats }).Stats().JetStreamFed == 1
	})
	got := ssetest.Scrape(t, reg)
	for name, want := range map[string]float64{
		"sse_jetstream_ready{}": 1, "sse_jetstream_lag{}": 0, "sse_jetstream_consumer_restarts_total{}": 0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Fatalf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}

	ns.Shutdown()
	ns.WaitForShutdown()
	ssetest.Eventually(t, "sse_jetstream_ready 0", func() bool { return ssetest.Scrape(t, reg)["sse_jetstream_ready{}"] == 0 })
	got = ssetest.Scrape(t, reg)
	if v := got["sse_jetstream_behind_seconds{}"]; v < 1 {
		t.Errorf("sse_jetstream_behind_seconds = %v, want at least JetStreamUnreadyAfter (1s)", v)
	}
	ssetest.Eventually(t, "a consumer restart counted", func() bool {
		return ssetest.Scrape(t, reg)["sse_jetstream_consumer_restarts_total{}"] >= 1
	})
}

// TestCollectorWithoutJetStreamHasNoFeedMetrics: the feed's metrics only
// exist in JetStream mode.
func TestCollectorWithoutJetStreamHasNoFeedMetrics(t *testing.T) {
	srv := sse.NewServer()
	ssetest.StartService(t, srv, ssetest.ServiceOptions{Broker: ssebroker.NewBroker()})
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv))
	if v, ok := ssetest.Scrape(t, reg)["sse_jetstream_ready{}"]; ok {
		t.Fatalf("sse_jetstream_ready = %v without JetStream", v)
	}
}
