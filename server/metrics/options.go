package metrics

import "github.com/prometheus/client_golang/prometheus"

// Option configures a Collector.
type Option func(*options)

type options struct {
	namespace    string
	labels       prometheus.Labels
	maxLagTopics int
}

// Defaults of the options.
const (
	// DefaultNamespace is the prefix of every metric name.
	DefaultNamespace = "sse"
	// DefaultMaxLagTopics is how many topics sse_lag_seconds reports.
	DefaultMaxLagTopics = 20
)

func defaultOptions() options {
	return options{namespace: DefaultNamespace, maxLagTopics: DefaultMaxLagTopics}
}

// MaxLagTopics sets how many topics sse_lag_seconds reports at most, the
// most behind (default 20): topic names come from clients, so the number
// of series stays bounded whatever they ask for.
func MaxLagTopics(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxLagTopics = n
		}
	}
}

// Namespace sets the prefix of the metric names (default "sse"); an empty
// namespace leaves the names bare.
func Namespace(ns string) Option {
	return func(o *options) { o.namespace = ns }
}

// ConstLabels adds labels to every metric of the collector, e.g. to tell
// two servers of one process apart in one registry.
func ConstLabels(l prometheus.Labels) Option {
	return func(o *options) {
		if o.labels == nil {
			o.labels = prometheus.Labels{}
		}
		for k, v := range l {
			o.labels[k] = v
		}
	}
}
