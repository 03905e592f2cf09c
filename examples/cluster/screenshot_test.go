package main

import (
	"flag"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

var updateScreenshot = flag.Bool("update-screenshot", false,
	"write the cluster page's screenshot to examples/cluster/screenshot.png (the README shows it)")

// TestScreenshot runs the cluster as `make cluster` does (with a faster
// publisher), switches the page from node A to node B and back to C as a
// person would, and takes a screenshot. With -update-screenshot it
// replaces screenshot.png, otherwise it writes to a temporary directory.
func TestScreenshot(t *testing.T) {
	cl, err := startCluster(config{
		Addrs: []string{"127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"},
		Tick:  150 * time.Millisecond,
		SSE:   []server.Option{sse.Retry(200 * time.Millisecond)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cl.Stop(); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	p := browsertest.Shared(t).Open(t, cl.Node(0).URL("/"))
	p.WaitFor(`window.cluster && cluster.nodes.length === 3 && cluster.ticks.length >= 4`, `window.cluster`)
	for _, node := range []string{"node-b", "node-c"} {
		p.Eval(`cluster.es.close(), true`, nil) // a moment between nodes: the resume fills it
		time.Sleep(400 * time.Millisecond)
		p.Eval(`document.querySelector('button[data-node="`+node+`"]').click(), true`, nil)
		p.WaitFor(`cluster.served === "`+node+`"`, `cluster`)
		var n int
		p.Eval(`cluster.ticks.length`, &n)
		p.WaitFor(`cluster.ticks.length >= `+strconv.Itoa(n+4), `cluster.ticks.length`)
	}
	var gaps, dups int
	p.Eval(`cluster.gaps`, &gaps)
	p.Eval(`cluster.dups`, &dups)
	if gaps != 0 || dups != 0 {
		t.Fatalf("gaps %d, duplicates %d", gaps, dups)
	}
	path := filepath.Join(t.TempDir(), "screenshot.png")
	if *updateScreenshot {
		path = "screenshot.png"
	}
	p.Screenshot(path)
	t.Logf("screenshot written to %s", path)
}
