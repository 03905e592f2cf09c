package metrics

import (
	"context"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// Collector is a prometheus.Collector of one sse server. Each scrape takes
// one Stats snapshot of the server and its Lag; it is safe for concurrent
// use.
type Collector struct {
	srv *sse.Server

	connections, topics, subscribers, bridged *prometheus.Desc
	historyEvents, historyBytes               *prometheus.Desc
	opened, published, delivered              *prometheus.Desc
	replays, closed, refused, hookPanics      *prometheus.Desc
	written, lag, latency                     *prometheus.Desc
	jsLag, jsRestarts, jsSinceFed, jsBehind   *prometheus.Desc
	jsReady                                   *prometheus.Desc

	maxLagTopics int
}

// NewCollector returns the collector of srv's counters. Gauges:
//
//	sse_connections{protocol="http1"|"h2",writer="shared"|"goroutine"}  open streams
//	sse_topics                     topics the hub holds
//	sse_subscribers                streams subscribed to the hub (every server sharing it)
//	sse_bridged_topics             topics subscribed on a foreign broker
//	sse_history_events             events held in history, all topics
//	sse_history_bytes              bytes of the frames held in history
//	sse_lag_seconds{topic}         age of the oldest event a stream of the topic has yet to read
//	                               (the MaxLagTopics most behind; topics with nothing unread are left out)
//
// Counters:
//
//	sse_streams_opened_total       streams accepted
//	sse_published_total            events published into the hub
//	sse_delivered_total            frames streams read from the hub, live and replayed
//	sse_replays_total{outcome="exact"|"reset",reason}  streams opened with a Last-Event-ID
//	sse_streams_closed_total{end}  streams that ended, by why (the server's End constants:
//	                               client_gone, write_failed, slow, shutdown, auth_expired)
//	sse_refused_total{reason}      requests refused (the server's Reason constants)
//	sse_hook_panics_total          panics recovered in the user's hooks
//	sse_written_bytes_total        bytes written to streams after their headers
//
// Histogram:
//
//	sse_publish_to_write_seconds   from the publish of the newest event of a write to the end
//	                               of the write, one sample per write of live events to a client
//	                               (a replay to a resuming client is history: not sampled)
//
// With this module's broker in JetStream mode (the server's broker), the
// node's feed from the stream:
//
//	sse_jetstream_lag              stream sequences the node has yet to feed to its hub
//	sse_jetstream_behind_seconds   time since the node was last seen fed up to the stream's end
//	sse_jetstream_since_fed_seconds  time since the node last fed a sequence (grows while idle)
//	sse_jetstream_ready            1 while the broker's Ready passes, else 0
//	sse_jetstream_consumer_restarts_total  times the node dropped its consumer and consumed again
//
// A server that is not running reports zeros.
func NewCollector(srv *sse.Server, opts ...Option) *Collector {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(o.namespace, "", name), help, labels, o.labels)
	}
	return &Collector{
		srv:           srv,
		connections:   desc("connections", "Open event streams by protocol and by what writes them: the shared writers, or a goroutine of the stream (HTTP/2, TLS, GoroutinePerStream, and any stream during its first write).", "protocol", "writer"),
		topics:        desc("topics", "Topics the hub holds (with subscribers, history or created)."),
		subscribers:   desc("subscribers", "Streams subscribed to the hub, of every server sharing it."),
		bridged:       desc("bridged_topics", "Topics the server is subscribed to on a foreign go-micro broker."),
		historyEvents: desc("history_events", "Events held in history, all topics."),
		historyBytes:  desc("history_bytes", "Bytes of the encoded frames held in history, all topics."),
		opened:        desc("streams_opened_total", "Event streams accepted."),
		published:     desc("published_total", "Events published into the hub."),
		delivered:     desc("delivered_total", "Frames the streams read from the hub, live and replayed (sse-reset frames included)."),
		replays:       desc("replays_total", "Streams opened with a Last-Event-ID: exact (the events after it) or reset (sse-reset, by reason).", "outcome", "reason"),
		closed:        desc("streams_closed_total", "Event streams that ended, by why: client_gone (the client closed or reset the connection), write_failed (a write timed out or failed), slow (fell further behind than the history reaches), shutdown (the server ended it with a retry hint), auth_expired (its token expired).", "end"),
		refused:       desc("refused_total", "Requests to the events endpoint refused, by reason.", "reason"),
		hookPanics:    desc("hook_panics_total", "Panics recovered in the user's hooks."),
		written:       desc("written_bytes_total", "Bytes written to event streams after their headers (frames, heartbeats, hints; HTTP/1.1 chunk framing of taken-over streams included)."),
		lag:           desc("lag_seconds", "Age of the oldest event of the topic's history that one of its streams has yet to read (the topics most behind; none when every stream has read everything).", "topic"),
		latency:       desc("publish_to_write_seconds", "Time from the publish of the newest event of a write to a client to the end of that write, one sample per write of live events (replays not sampled)."),
		jsLag:         desc("jetstream_lag", "Stream sequences this node has yet to feed to its hub (the stream's last sequence as last seen, minus the last fed)."),
		jsBehind:      desc("jetstream_behind_seconds", "Time since this node was last seen fed up to the stream's end (or advancing)."),
		jsSinceFed:    desc("jetstream_since_fed_seconds", "Time since this node last fed a stream sequence to its hub (grows while nothing is published)."),
		jsReady:       desc("jetstream_ready", "1 while the broker's readiness check passes (connected, fed up to the stream's end within JetStreamUnreadyAfter), else 0."),
		jsRestarts:    desc("jetstream_consumer_restarts_total", "Times this node dropped its stream consumer and consumed again (consumer error, server shutdown, lost heartbeats, no progress)."),
		maxLagTopics:  o.maxLagTopics,
	}
}

// Describe sends the descriptors of every metric of the collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.connections, c.topics, c.subscribers, c.bridged,
		c.historyEvents, c.historyBytes,
		c.opened, c.published, c.delivered,
		c.replays, c.closed, c.refused, c.hookPanics,
		c.written, c.lag, c.latency,
		c.jsLag, c.jsBehind, c.jsSinceFed, c.jsReady, c.jsRestarts,
	} {
		ch <- d
	}
}

// Collect takes one Stats snapshot of the server and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.Stats()
	ep := st.Endpoint
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}

	gauge(c.connections, ep.Shared, "http1", "shared")
	gauge(c.connections, max(ep.Open-ep.Shared-ep.HTTP2, 0), "http1", "goroutine")
	gauge(c.connections, ep.HTTP2, "h2", "goroutine")
	gauge(c.topics, st.Topics)
	gauge(c.subscribers, st.Subscribers)
	gauge(c.bridged, st.BridgedTopics)
	gauge(c.historyEvents, st.HistoryEvents)
	gauge(c.historyBytes, st.HistoryBytes)

	counter(c.opened, ep.Accepted)
	counter(c.published, st.Published)
	counter(c.delivered, st.Delivered)
	counter(c.replays, ep.ResumedExact, "exact", "")
	for _, reason := range slices.Sorted(maps.Keys(ep.Resets)) {
		counter(c.replays, ep.Resets[reason], "reset", reason)
	}
	counter(c.closed, ep.ClientGone, sse.EndClientGone)
	counter(c.closed, ep.WriteFailed, sse.EndWriteFailed)
	counter(c.closed, ep.CutOffSlow, sse.EndSlow)
	counter(c.closed, ep.Shutdown, sse.EndShutdown)
	counter(c.closed, ep.AuthExpired, sse.EndAuthExpired)
	for _, reason := range slices.Sorted(maps.Keys(ep.Refused)) {
		counter(c.refused, ep.Refused[reason], reason)
	}
	counter(c.hookPanics, ep.HookPanics)
	counter(c.written, ep.BytesWritten)

	for _, l := range c.srv.Lag(c.maxLagTopics) {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, l.Age.Seconds(), l.Topic)
	}

	c.collectJetStream(ch)

	lat := ep.Latency
	buckets := make(map[float64]uint64, len(lat.Bounds))
	var cumulative uint64
	for i, b := range lat.Bounds {
		cumulative += lat.Counts[i]
		buckets[b.Seconds()] = cumulative
	}
	ch <- prometheus.MustNewConstHistogram(c.latency, lat.Count, lat.Sum.Seconds(), buckets)
}

// collectJetStream sends the JetStream feed's metrics when the server's
// broker is this module's in JetStream mode.
func (c *Collector) collectJetStream(ch chan<- prometheus.Metric) {
	b, ok := c.srv.Options().Broker.(interface{ Stats() ssebroker.Stats })
	if !ok {
		return
	}
	st := b.Stats()
	if !st.JetStream {
		return
	}
	ready := 0.0
	if ssebroker.HealthCheck(c.srv.Options().Broker)(context.Background()) == nil {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(c.jsLag, prometheus.GaugeValue, float64(st.JetStreamLag))
	ch <- prometheus.MustNewConstMetric(c.jsBehind, prometheus.GaugeValue, st.JetStreamBehindFor.Seconds())
	ch <- prometheus.MustNewConstMetric(c.jsSinceFed, prometheus.GaugeValue, st.JetStreamSinceFed.Seconds())
	ch <- prometheus.MustNewConstMetric(c.jsReady, prometheus.GaugeValue, ready)
	ch <- prometheus.MustNewConstMetric(c.jsRestarts, prometheus.CounterValue, float64(st.JetStreamRestarts))
}
