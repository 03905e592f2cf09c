package browsertest

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

// Main is a TestMain for packages that use Shared: it runs the tests,
// closes the shared browser, then checks with goleak that no goroutine is
// left besides those running before the tests and those opts ignore.
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
func Main(m *testing.M, opts ...goleak.Option) {
	opts = append([]goleak.Option{goleak.IgnoreCurrent()}, opts...)
	code := m.Run()
	CloseShared()
	if code == 0 {
		runtime.GC() // let finalizers stop what they stop
		runtime.GC()
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
