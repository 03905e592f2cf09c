package ssetest

import (
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Scrape gathers g and returns every sample as "name{k=v,...}" -> value,
// labels sorted by name: a gauge's or counter's value, a histogram's
// sample count.
func Scrape(t testing.TB, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			out[sampleName(f.GetName(), m.GetLabel())] = sampleValue(m)
		}
	}
	return out
}

// sampleName is a sample's key in Scrape's map.
func sampleName(name string, labels []*dto.LabelPair) string {
	kv := make([]string, 0, len(labels))
	for _, l := range labels {
		kv = append(kv, l.GetName()+"="+l.GetValue())
	}
	sort.Strings(kv)
	return name + "{" + strings.Join(kv, ",") + "}"
}

// sampleValue is a sample's value in Scrape's map (-1 for a kind it does
// not read).
func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return -1
}
