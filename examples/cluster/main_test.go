package main

import (
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

func TestMain(m *testing.M) {
	// One browser for the package; Main closes it, then checks for leaked
	// goroutines.
	browsertest.Main(m, ssetest.GoleakIgnores()...)
}

// startTestCluster starts a cluster of n nodes on loopback with no
// publisher (the tests publish) and a short retry, stopped when the test
// ends.
func startTestCluster(t *testing.T, n int) *cluster {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = "127.0.0.1:0"
	}
	cl, err := startCluster(config{Addrs: addrs, SSE: []server.Option{sse.Retry(200 * time.Millisecond)}})
	if err != nil {
		t.Fatalf("starting the cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := cl.Stop(); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	return cl
}
