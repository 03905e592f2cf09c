package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSummarizeRefs: the ratios are given to each reference that ran, the
// reference itself gets no line, and an unknown reference is skipped.
func TestSummarizeRefs(t *testing.T) {
	by := map[string][]result{
		"ssemicro": {{CPUPerEvent: 3}, {CPUPerEvent: 1}, {CPUPerEvent: 2}},
		"limit":    {{CPUPerEvent: 1}, {CPUPerEvent: 1}, {CPUPerEvent: 1}},
		"r3labs":   {{CPUPerEvent: 8}, {CPUPerEvent: 8}, {CPUPerEvent: 8}},
	}
	var out bytes.Buffer
	summarize(&out, []string{"ssemicro", "r3labs", "limit"}, by, "ssemicro", "limit", "none")
	lines := map[string]string{}
	for line := range strings.Lines(out.String()) {
		f := strings.Fields(line)
		lines[f[0]] = line
	}
	for _, want := range []string{"r3labs/ssemicro", "limit/ssemicro", "ssemicro/limit", "r3labs/limit"} {
		if _, ok := lines[want]; !ok {
			t.Errorf("no %s line in\n%s", want, out.String())
		}
	}
	for _, not := range []string{"ssemicro/ssemicro", "limit/limit", "ssemicro/none"} {
		if _, ok := lines[not]; ok {
			t.Errorf("%s line in\n%s", not, out.String())
		}
	}
	// cpu/event is the 4th ratio column: median 2 over 1.
	if f := strings.Fields(lines["ssemicro/limit"]); len(f) < 5 || f[4] != "2.00x" {
		t.Errorf("ssemicro/limit cpu ratio: %q", lines["ssemicro/limit"])
	}
	if f := strings.Fields(lines["r3labs/ssemicro"]); len(f) < 5 || f[4] != "4.00x" {
		t.Errorf("r3labs/ssemicro cpu ratio: %q", lines["r3labs/ssemicro"])
	}
}
