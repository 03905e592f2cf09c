package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	mbroker "go-micro.dev/v4/broker"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// publishTick publishes tick n through node's broker, as the publisher
// service does.
func publishTick(t *testing.T, n *sseNode, tick uint64) {
	t.Helper()
	body, _ := json.Marshal(Tick{N: tick})
	if err := n.Broker().Publish(tickTopic, &mbroker.Message{
		Header: map[string]string{"Sse-Event": "tick", "Content-Type": "application/json"},
		Body:   body,
	}); err != nil {
		t.Fatalf("publish tick %d: %v", tick, err)
	}
}

// pageTick is one tick as the page lists it.
type pageTick struct {
	ID  string `json:"id"`
	N   uint64 `json:"n"`
	Via string `json:"via"`
}

// TestBrowserFailsOverThroughALoadBalancer: Chromium's EventSource reads
// node A through a TCP proxy (the load balancer); A is stopped and the
// proxy sends new connections to B; the page reconnects by itself (with
// its Last-Event-ID) and receives exactly the ticks it missed.
func TestBrowserFailsOverThroughALoadBalancer(t *testing.T) {
	cl := startTestCluster(t, 2)
	a, b := cl.Node(0), cl.Node(1)
	lb := ssetest.StartProxy(t, a.addr)

	p := browsertest.Shared(t).Open(t, "http://"+lb.Addr()+"/")
	p.WaitFor(`window.cluster && cluster.opens >= 1 && cluster.served === "node-a"`, `window.cluster`)
	for i := uint64(1); i <= 3; i++ {
		publishTick(t, a, i)
	}
	p.WaitFor(`cluster.ticks.length >= 3`, `cluster.ticks`)

	lb.SetBackend(0, b.addr)
	if err := cl.StopNode(0); err != nil { // A's streams end with a retry hint
		t.Fatal(err)
	}
	for i := uint64(4); i <= 8; i++ {
		publishTick(t, b, i)
	}
	p.WaitFor(`cluster.ticks.length >= 8 && cluster.served === "node-b"`, `cluster`)

	var ticks []pageTick
	p.Eval(`cluster.ticks`, &ticks)
	var resets []any
	p.Eval(`cluster.resets`, &resets)
	if len(resets) != 0 {
		t.Errorf("resets: %v", resets)
	}
	if len(ticks) != 8 {
		t.Fatalf("ticks: %+v", ticks)
	}
	prev := uint64(0)
	for i, tk := range ticks {
		if tk.N != uint64(i+1) {
			t.Fatalf("tick %d is %d: %+v", i+1, tk.N, ticks)
		}
		seq := idSeq(t, tk.ID)
		if seq <= prev {
			t.Fatalf("ids not increasing: %+v", ticks)
		}
		prev = seq
	}
	var opens int
	p.Eval(`cluster.opens`, &opens)
	if opens < 2 {
		t.Errorf("the page opened %d times: it did not reconnect", opens)
	}
}

// idSeq is the sequence of an id "<epoch>-<seq base 36>".
func idSeq(t *testing.T, id string) uint64 {
	t.Helper()
	i := strings.LastIndexByte(id, '-')
	n, err := strconv.ParseUint(id[i+1:], 36, 64)
	if i < 0 || err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return n
}

// TestBrowserSwitchesNodesMidStream: the page of node A moves its stream to
// node C (another origin) with the button's code path; C resumes after the
// page's last id, from C's log or, when C's log does not reach back, from
// JetStream.
func TestBrowserSwitchesNodesMidStream(t *testing.T) {
	cl := startTestCluster(t, 3)
	a, b, c := cl.Node(0), cl.Node(1), cl.Node(2)
	p := browsertest.Shared(t).Open(t, a.URL("/"))
	p.WaitFor(`window.cluster && cluster.opens >= 1 && cluster.served === "node-a" && cluster.nodes.length === 3`, `window.cluster`)
	for i := uint64(1); i <= 3; i++ {
		publishTick(t, b, i)
	}
	p.WaitFor(`cluster.ticks.length >= 3`, `cluster.ticks`)
	// Ticks 4 to 6 are published while the page is between nodes: node C
	// replays them after the page's last id, then 7 comes live.
	p.Eval(`cluster.es.close(), true`, nil)
	for i := uint64(4); i <= 6; i++ {
		publishTick(t, b, i)
	}
	p.Eval(`document.querySelector('button[data-node="node-c"]').click(), true`, nil)
	p.WaitFor(`cluster.ticks.length >= 6 && cluster.served === "node-c"`, `cluster`)
	publishTick(t, c, 7)
	p.WaitFor(`cluster.ticks.length >= 7`, `cluster.ticks`)
	var ticks []pageTick
	p.Eval(`cluster.ticks`, &ticks)
	var gaps, dups int
	p.Eval(`cluster.gaps`, &gaps)
	p.Eval(`cluster.dups`, &dups)
	if len(ticks) != 7 || gaps != 0 || dups != 0 {
		t.Fatalf("ticks %+v, gaps %d, duplicates %d", ticks, gaps, dups)
	}
	var colors []string // zero is good news: not shown in red
	p.Eval(`["gaps", "dups"].map(id => getComputedStyle(document.getElementById(id)).color)`, &colors)
	for _, c := range colors {
		if c == "rgb(170, 0, 0)" {
			t.Errorf("gaps and duplicates at zero are shown in red: %v", colors)
		}
	}
	for i, tk := range ticks {
		if tk.N != uint64(i+1) {
			t.Fatalf("ticks %+v", ticks)
		}
	}
}
