package main

import (
	"errors"
	"os"
	"testing"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

func TestMain(m *testing.M) {
	// One browser for the package; Main closes it, then checks for leaked
	// goroutines.
	browsertest.Main(m, ssetest.GoleakIgnores()...)
}

// nodeModulesOrSkip returns the node_modules that npm ci filled, or skips
// the test (fails it under CI=true, where make test ran npm ci).
func nodeModulesOrSkip(t *testing.T) string {
	t.Helper()
	dir, err := findNodeModules("")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; CI=true, so the htmx tests must run", err)
		}
		t.Skipf("skipping: %v", err)
	}
	return dir
}

// startTestNode starts a node on loopback with no ticker and the SSE
// server options opts, stopped when the test ends.
func startTestNode(t *testing.T, opts ...server.Option) *node {
	t.Helper()
	n, err := startNode(config{Addr: "127.0.0.1:0", NodeModules: nodeModulesOrSkip(t), SSE: opts})
	if err != nil {
		t.Fatalf("starting the node: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("stopping the node: %v", err)
		}
	})
	return n
}

func TestFindNodeModules(t *testing.T) {
	if _, err := findNodeModules(t.TempDir()); !errors.Is(err, ErrNoNodeModules) {
		t.Fatalf("an empty folder: got %v, want ErrNoNodeModules", err)
	}
	dir := nodeModulesOrSkip(t)
	if got, err := findNodeModules(dir); err != nil || got != dir {
		t.Fatalf("findNodeModules(%q) = %q, %v", dir, got, err)
	}
}
