package metrics

import "github.com/prometheus/client_golang/prometheus"

// Option configures a Collector.
type Option func(*options)

type options struct {
	namespace string
	labels    prometheus.Labels
}

// DefaultNamespace is the prefix of every metric name unless Namespace
// says otherwise.
const DefaultNamespace = "sse"

func defaultOptions() options {
	return options{namespace: DefaultNamespace}
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
