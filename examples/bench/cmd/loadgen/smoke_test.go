package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// buildServers builds the benchmark servers (the three libraries and the
// two references) into a temporary folder and returns their paths.
func buildServers(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	names := []string{"ssemicro", "r3labs", "gosse", "writeperevent", "limit"}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "../"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %v: %v", args, err)
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
	}
	return paths
}

// TestSmoke starts each benchmark server as a built binary (and ssemicro
// with -jetstream, a flag passed on) and checks that
// every event published reaches every stream, with the figures that need
// the process id measured. No timing is asserted.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts six servers")
	}
	c := config{Conns: 20, N: 20, Rate: 1000, Size: 100, Dialers: 8, Timeout: 60 * time.Second}
	paths := buildServers(t)
	paths = append(paths, paths[0]+" -jetstream") // ssemicro fed by JetStream
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, err := runServer(path, c)
			if err != nil {
				t.Fatal(err)
			}
			if r.Delivered != c.Conns*c.N || r.Lost != 0 || r.Failed != 0 {
				t.Fatalf("delivered %d of %d, lost %d, %d streams short", r.Delivered, c.Conns*c.N, r.Lost, r.Failed)
			}
			if r.CPUPerEvent < 0 || r.UserPerEvent < 0 || r.UserPerEvent > r.CPUPerEvent || r.RSSPerConn == -1 || r.HeapPerConn == -1 {
				t.Fatalf("figures missing: %+v", r)
			}
			if r.P50ms <= 0 || r.P99ms < r.P50ms {
				t.Fatalf("latencies not measured: p50 %v p99 %v", r.P50ms, r.P99ms)
			}
		})
	}
}
