package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go-micro.dev/v4/logger"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
	"github.com/go-micro-sse/go-micro-sse/server/metrics"
)

func TestMain(m *testing.M) {
	logger.DefaultLogger = logger.NewLogger(logger.WithLevel(logger.ErrorLevel))
	ssetest.VerifyTestMain(m)
}

func TestCollectorCountsWhatClientsSee(t *testing.T) {
	srv := sse.NewServer()
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Broker: ssebroker.NewBroker()})
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv))

	before := ssetest.Scrape(t, reg)
	for _, name := range []string{"sse_streams_opened_total{}", "sse_published_total{}", "sse_connections{protocol=http1,writer=shared}"} {
		if v, ok := before[name]; !ok || v != 0 {
			t.Fatalf("%s before any stream = %v (present %v), want 0", name, v, ok)
		}
	}

	url := ssetest.EventsURL(svc.URL(sse.DefaultEventsPath), "news")
	live := ssetest.OpenT(t, url, "")
	var ids []string
	for i := 0; i < 3; i++ {
		if err := srv.Publish(context.Background(), "news", &codec.Event{Data: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, live.Next(t).ID)
	}
	exact := ssetest.OpenT(t, url, ids[0]) // gets ids[1] and ids[2]
	exact.Next(t)
	exact.Next(t)
	reset := ssetest.OpenT(t, url, "not-an-id") // sse-reset, then the 3 held
	if ev := reset.Next(t); ev.Event != "sse-reset" {
		t.Fatalf("first event %+v, want sse-reset", ev)
	}
	resp, err := http.Get(svc.URL(sse.DefaultEventsPath)) // no stream: refused
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// A stream is handed to the shared writers after its first write.
	ssetest.Eventually(t, "the three streams taken over", func() bool { return srv.Stats().Endpoint.Shared == 3 })
	// A write's latency is sampled once the write returned, which the
	// client may see first.
	ssetest.Eventually(t, "the live stream's three writes sampled", func() bool { return srv.Stats().Endpoint.Latency.Count >= 3 })
	got := ssetest.Scrape(t, reg)
	want := map[string]float64{
		"sse_connections{protocol=http1,writer=shared}":    3,
		"sse_connections{protocol=http1,writer=goroutine}": 0,
		"sse_connections{protocol=h2,writer=goroutine}":    0,
		"sse_topics{}":               1,
		"sse_subscribers{}":          3,
		"sse_history_events{}":       3,
		"sse_streams_opened_total{}": 3,
		"sse_published_total{}":      3,
		// 3 live + 2 replayed + reset frame and 3 replayed
		"sse_delivered_total{}":                                9,
		"sse_replays_total{outcome=exact,reason=}":             1,
		"sse_replays_total{outcome=reset,reason=invalid-id}":   1,
		"sse_refused_total{reason=" + sse.ReasonNoStream + "}": 1,
		"sse_streams_closed_total{end=slow}":                   0,
		"sse_hook_panics_total{}":                              0,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v", name, got[name], v)
		}
	}
	// One sample per write of live events: the 3 writes of the live
	// stream (the replays of the others are history, not late).
	if got := got["sse_publish_to_write_seconds{}"]; got != 3 {
		t.Errorf("sse_publish_to_write_seconds count = %v, want 3", got)
	}
	// Each stream got at least its retry frame and its events.
	if got, least := got["sse_written_bytes_total{}"], float64(3*len("retry: 3000\n\n")+8*len("id: x-1\ndata: 0\n\n")); got < least {
		t.Errorf("sse_written_bytes_total = %v, want at least %v", got, least)
	}
	if got["sse_history_bytes{}"] <= 0 {
		t.Errorf("sse_history_bytes = %v, want > 0", got["sse_history_bytes{}"])
	}

	live.Close()
	exact.Close()
	reset.Close()
	// A closed client is noticed at its next write: publish until all are gone.
	ssetest.Eventually(t, "the three streams to end", func() bool {
		_ = srv.TryPublish("news", &codec.Event{Data: []byte("x")})
		return ssetest.Scrape(t, reg)["sse_connections{protocol=http1,writer=shared}"] == 0
	})
	// Clients that left are no failed writes.
	got = ssetest.Scrape(t, reg)
	for end, want := range map[string]float64{sse.EndClientGone: 3, sse.EndWriteFailed: 0, sse.EndSlow: 0, sse.EndShutdown: 0, sse.EndAuthExpired: 0} {
		if name := "sse_streams_closed_total{end=" + end + "}"; got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
}

func TestCollectorLintAndLabels(t *testing.T) {
	srv := sse.NewServer()
	ssetest.StartService(t, srv, ssetest.ServiceOptions{Broker: ssebroker.NewBroker()})
	c := metrics.NewCollector(srv, metrics.Namespace("edge"), metrics.ConstLabels(prometheus.Labels{"node": "a"}))
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	reg := prometheus.NewPedanticRegistry() // checks Describe against Collect
	reg.MustRegister(c)
	got := ssetest.Scrape(t, reg)
	if _, ok := got["edge_published_total{node=a}"]; !ok {
		t.Fatalf("no edge_published_total{node=a} in %v", got)
	}
}

func TestCollectorScrapedOverHTTP(t *testing.T) {
	srv := sse.NewServer()
	mux := http.NewServeMux()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv))
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if err := srv.Handle(srv.NewHandler(mux)); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Broker: ssebroker.NewBroker()})
	if err := srv.Publish(context.Background(), "ticks", &codec.Event{Data: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(svc.URL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range []string{"sse_published_total 1", "# TYPE sse_connections gauge", "# TYPE sse_streams_closed_total counter", `sse_streams_closed_total{end="slow"} 0`} {
		if !strings.Contains(string(b), line+"\n") {
			t.Errorf("scrape has no line %q:\n%s", line, b)
		}
	}
}

// TestCollectorLagOfAStalledClient: a client that stops reading leaves
// events unread on its topic, which sse_lag_seconds shows; the others are
// not listed.
func TestCollectorLagOfAStalledClient(t *testing.T) {
	srv := sse.NewServer()
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Broker: ssebroker.NewBroker()})
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv))
	reader := ssetest.OpenT(t, ssetest.EventsURL(svc.URL(sse.DefaultEventsPath), "calm"), "")

	conn, err := net.Dial("tcp", svc.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /events?stream=stalled HTTP/1.1\r\nHost: x\r\n\r\n")
	ssetest.Eventually(t, "the stalled stream to open", func() bool { return srv.Stats().Endpoint.Open == 2 })

	if err := srv.Publish(context.Background(), "calm", &codec.Event{Data: []byte("c")}); err != nil {
		t.Fatal(err)
	}
	reader.Next(t)
	// 6.4 MB: more than the socket buffers hold for a client that reads
	// nothing (within the history's 8 MiB per topic).
	big := []byte(strings.Repeat("x", 16<<10))
	for i := 0; i < 400; i++ {
		if err := srv.Publish(context.Background(), "stalled", &codec.Event{Data: big}); err != nil {
			t.Fatal(err)
		}
	}
	// Events left unread stay unread: the series shows and stays.
	ssetest.Eventually(t, "sse_lag_seconds{topic=stalled}", func() bool {
		return ssetest.Scrape(t, reg)["sse_lag_seconds{topic=stalled}"] > 0
	})
	got := ssetest.Scrape(t, reg)
	if _, ok := got["sse_lag_seconds{topic=calm}"]; ok {
		t.Errorf("sse_lag_seconds{topic=calm} listed: its reader has read everything")
	}
	if got["sse_lag_seconds{topic=stalled}"] <= 0 {
		t.Errorf("sse_lag_seconds{topic=stalled} = %v, want > 0", got["sse_lag_seconds{topic=stalled}"])
	}
}
