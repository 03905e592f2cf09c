package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// config is one load: C connections, then N events at a rate, S bytes of
// padding each.
type config struct {
	Conns   int
	N       int
	Rate    int
	Size    int
	Dialers int           // connections being opened at once
	Settle  time.Duration // wait after the last connection opened, before measuring
	Timeout time.Duration // bound of each phase, beyond the publish time
	// AcceptEncoding is the Accept-Encoding of the streams ("": none).
	AcceptEncoding string
}

// Bounds of the load: ≤ 18,000 connections keeps the load generator and
// the server (separate processes, one descriptor per connection each, plus
// a few of their own) under the 20,000 open files of a process; the
// latencies kept are ≤ 20M.
const (
	maxConns      = 18_000
	maxDeliveries = 20_000_000
)

// validate checks the bounds of c.
func (c config) validate() error {
	switch {
	case c.Conns < 1 || c.Conns > maxConns:
		return fmt.Errorf("conns %d: want 1..%d", c.Conns, maxConns)
	case c.N < 1 || c.N*c.Conns > maxDeliveries:
		return fmt.Errorf("n %d × conns %d: want 1..%d deliveries", c.N, c.Conns, maxDeliveries)
	case c.Rate < 1 || c.Rate > 100_000:
		return fmt.Errorf("rate %d: want 1..100000", c.Rate)
	case c.Size < 0 || c.Size > 1<<20:
		return fmt.Errorf("size %d: want 0..1MiB", c.Size)
	case c.Dialers < 1 || c.Timeout <= 0:
		return errors.New("dialers and timeout must be positive")
	}
	return nil
}

// result is one run against one server; memory and CPU figures need the
// server's process id (-server), -1 without.
type result struct {
	Server string `json:"server"`
	Conns  int    `json:"conns"`
	N      int    `json:"n"`
	Rate   int    `json:"rate"`
	Size   int    `json:"size"`

	ConnectSeconds float64 `json:"connect_s"`
	// RSSPerConn is (VmRSS after the connections opened − before) / conns.
	RSSPerConn float64 `json:"rss_per_conn_b"`
	// HeapPerConn is the same of the Go heap and stacks in use after a GC
	// (GET /debug/mem), and GoroutinesPerConn of the goroutines.
	HeapPerConn       float64 `json:"heap_per_conn_b"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`
	// CPUPerEvent is the server's user+system CPU time from the publish
	// request until the last event arrived, per event delivered.
	CPUPerEvent float64 `json:"cpu_ns_per_event"`
	// UserPerEvent is the user part of CPUPerEvent: the server's own code,
	// without the system calls (on loopback most of the CPU is the
	// kernel's send and receive path, alike for every server).
	UserPerEvent float64 `json:"user_ns_per_event"`
	P50ms        float64 `json:"p50_ms"`
	P99ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	Delivered    int     `json:"delivered"`
	Lost         int     `json:"lost"`
	Failed       int     `json:"failed_conns"` // streams that ended or broke early
}

// target is a server under load: its address and, when the load
// generator started it, its process id.
type target struct {
	name string
	addr string // host:port
	pid  int    // 0: not known
}

// run loads t once with c.
func run(t target, c config) (result, error) {
	r := result{Server: t.name, Conns: c.Conns, N: c.N, Rate: c.Rate, Size: c.Size,
		RSSPerConn: -1, HeapPerConn: -1, GoroutinesPerConn: -1, CPUPerEvent: -1, UserPerEvent: -1}
	base := "http://" + t.addr

	memBefore, memOK := debugMem(base)
	var rssBefore int64
	if t.pid > 0 {
		var err error
		if rssBefore, err = rss(t.pid); err != nil {
			return r, err
		}
	}

	start := time.Now()
	conns, err := openAll(t.addr, c)
	defer func() {
		for _, s := range conns {
			s.close()
		}
	}()
	if err != nil {
		return r, err
	}
	r.ConnectSeconds = time.Since(start).Seconds()
	time.Sleep(c.Settle)

	if t.pid > 0 {
		rssAfter, err := rss(t.pid)
		if err != nil {
			return r, err
		}
		r.RSSPerConn = float64(rssAfter-rssBefore) / float64(c.Conns)
	}
	if memAfter, ok := debugMem(base); ok && memOK {
		r.HeapPerConn = float64(int64(memAfter.HeapInuse+memAfter.StackInuse)-int64(memBefore.HeapInuse+memBefore.StackInuse)) / float64(c.Conns)
		r.GoroutinesPerConn = float64(memAfter.Goroutines-memBefore.Goroutines) / float64(c.Conns)
	}

	var wg sync.WaitGroup
	for _, s := range conns {
		wg.Go(s.read)
	}
	var user0, sys0 time.Duration
	if t.pid > 0 {
		if user0, sys0, err = cpuTimes(t.pid); err != nil {
			return r, err
		}
	}
	q := url.Values{"n": {fmt.Sprint(c.N)}, "rate": {fmt.Sprint(c.Rate)}, "size": {fmt.Sprint(c.Size)}}
	if err := post(base + "/publish?" + q.Encode()); err != nil {
		return r, err
	}
	// Every stream gets its events or is cut at the deadline: the publish
	// time plus the timeout.
	publishTime := time.Duration(c.N) * time.Second / time.Duration(c.Rate)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(publishTime + c.Timeout):
		for _, s := range conns {
			s.close()
		}
		<-done
	}
	var user1, sys1 time.Duration
	if t.pid > 0 {
		if user1, sys1, err = cpuTimes(t.pid); err != nil {
			return r, err
		}
	}

	lat := make([]int64, 0, c.Conns*c.N)
	for _, s := range conns {
		lat = append(lat, s.lat...)
		if len(s.lat) < c.N {
			r.Failed++
		}
	}
	r.Delivered = len(lat)
	r.Lost = c.Conns*c.N - len(lat)
	if t.pid > 0 && r.Delivered > 0 {
		r.CPUPerEvent = float64(user1-user0+sys1-sys0) / float64(r.Delivered)
		r.UserPerEvent = float64(user1-user0) / float64(r.Delivered)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.P50ms = ms(lat[len(lat)/2])
		r.P99ms = ms(lat[min(len(lat)-1, len(lat)*99/100)])
		r.MaxMs = ms(lat[len(lat)-1])
	}
	return r, nil
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// openAll opens c.Conns streams, c.Dialers at a time, and returns once all
// have their headers (or on the first failure, with those opened).
func openAll(addr string, c config) ([]*streamConn, error) {
	conns := make([]*streamConn, c.Conns)
	errs := make([]error, c.Conns)
	next := make(chan int)
	var wg sync.WaitGroup
	for range c.Dialers {
		wg.Go(func() {
			for i := range next {
				conns[i], errs[i] = dialStreamEncoded(addr, "/events?stream=bench", c.AcceptEncoding, c.N, c.Timeout)
			}
		})
	}
	for i := range c.Conns {
		next <- i
	}
	close(next)
	wg.Wait()
	opened := conns[:0:0]
	for _, s := range conns {
		if s != nil {
			opened = append(opened, s)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return opened, fmt.Errorf("opened %d of %d streams: %w", len(opened), c.Conns, firstErr(errs))
	}
	return opened, nil
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// mem is GET /debug/mem of a benchmark server.
type mem struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Goroutines int    `json:"goroutines"`
}

// debugMem reads GET /debug/mem; ok is false when the server has none.
func debugMem(base string) (m mem, ok bool) {
	c := &http.Client{Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get(base + "/debug/mem")
	if err != nil {
		return m, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, false
	}
	return m, json.NewDecoder(resp.Body).Decode(&m) == nil
}

// post sends an empty POST to u and expects 2xx.
func post(u string) error {
	c := &http.Client{Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Post(u, "text/plain", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", u, resp.Status)
	}
	return nil
}
