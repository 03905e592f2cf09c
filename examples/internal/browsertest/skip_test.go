package browsertest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// recordTB records how a helper ends a test instead of ending it.
type recordTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordTB) Helper() {}
func (r *recordTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recordTB) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// outcome runs Shared on a recordTB in a goroutine (Fatalf and Skipf end it).
func outcome(t *testing.T) *recordTB {
	r := &recordTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Shared(r)
	}()
	<-done
	return r
}

// TestNoBrowser: without chromium a browser test skips with a clear
// message, but fails under CI=true.
func TestNoBrowser(t *testing.T) {
	t.Setenv("BROWSERTEST_CHROMIUM", "/nonexistent/chromium")

	t.Setenv("CI", "")
	r := outcome(t)
	if r.fatal != "" || !strings.Contains(r.skip, "skipping browser test") || !strings.Contains(r.skip, "chromium") {
		t.Errorf("without CI: skip %q, fatal %q; want a skip naming chromium", r.skip, r.fatal)
	}

	t.Setenv("CI", "true")
	r = outcome(t)
	if r.skip != "" || !strings.Contains(r.fatal, "CI=true") {
		t.Errorf("under CI=true: skip %q, fatal %q; want a failure", r.skip, r.fatal)
	}
}
