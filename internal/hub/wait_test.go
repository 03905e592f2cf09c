package hub

import (
	"runtime"
	"testing"
	"time"
)

// waitFor waits until cond holds, failing after a generous bound (a
// liveness check, not a timing assertion).
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
		time.Sleep(100 * time.Microsecond)
	}
}
