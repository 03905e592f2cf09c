// Package metrics exports an sse server's counters to Prometheus.
//
// NewCollector returns a prometheus.Collector that reads the server's
// Stats snapshot at each scrape: the write path pays nothing for being
// observed (its counters are atomics the server keeps anyway), and the
// core packages do not depend on Prometheus. Register it with any
// registry:
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(metrics.NewCollector(srv))
//	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Every metric is named sse_<name> (Namespace changes the prefix) and
// carries the ConstLabels given; see NewCollector for the list.
package metrics
