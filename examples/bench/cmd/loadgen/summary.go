package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// metric is one column of the summary: how to read it from a result.
type metric struct {
	name string
	get  func(result) float64
}

var metrics = []metric{
	{"rss/conn B", func(r result) float64 { return r.RSSPerConn }},
	{"heap/conn B", func(r result) float64 { return r.HeapPerConn }},
	{"gor/conn", func(r result) float64 { return r.GoroutinesPerConn }},
	{"cpu/event ns", func(r result) float64 { return r.CPUPerEvent }},
	{"user/event ns", func(r result) float64 { return r.UserPerEvent }},
	{"p50 ms", func(r result) float64 { return r.P50ms }},
	{"p99 ms", func(r result) float64 { return r.P99ms }},
	{"lost", func(r result) float64 { return float64(r.Lost) }},
}

// median of the values of m over rs.
func median(rs []result, m metric) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = m.get(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// summarize writes, per server in order, the median of every metric over
// its runs, then, for each reference server in refs (the first server when
// refs is empty; names not run are skipped), the ratio of each other
// server's median to the reference's (> 1 means the reference needs less).
func summarize(w io.Writer, order []string, byServer map[string][]result, refs ...string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "median\truns\t")
	for _, m := range metrics {
		fmt.Fprintf(tw, "%s\t", m.name)
	}
	fmt.Fprintln(tw)
	for _, s := range order {
		fmt.Fprintf(tw, "%s\t%d\t", s, len(byServer[s]))
		for _, m := range metrics {
			fmt.Fprintf(tw, "%.4g\t", median(byServer[s], m))
		}
		fmt.Fprintln(tw)
	}
	if len(refs) == 0 && len(order) > 0 {
		refs = order[:1]
	}
	for _, ref := range refs {
		if _, ok := byServer[ref]; !ok {
			continue
		}
		for _, s := range order {
			if s == ref {
				continue
			}
			fmt.Fprintf(tw, "%s/%s\t\t", s, ref)
			for _, m := range metrics[:len(metrics)-1] { // no ratio of losses
				a, b := median(byServer[s], m), median(byServer[ref], m)
				if b <= 0 || a < 0 {
					fmt.Fprint(tw, "-\t")
					continue
				}
				fmt.Fprintf(tw, "%.2fx\t", a/b)
			}
			fmt.Fprintln(tw, "\t")
		}
	}
	_ = tw.Flush()
}
