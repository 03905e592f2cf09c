package ssetest

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

// GoleakIgnores are goroutines that go-micro starts and gives no way to
// stop; pass them to goleak.VerifyTestMain or goleak.VerifyNone beside
// goleak.IgnoreCurrent(). Every registry.NewMemoryRegistry starts ttlPrune,
// which runs forever; every client.NewClient (go-micro's rpc client) starts
// a response cache whose janitor runs until a finalizer stops it, after the
// client is garbage and a collection ran; go-micro's global config
// (config.DefaultConfig, made at package init) re-creates its watcher
// goroutines now and then, forever.
func GoleakIgnores() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config/loader/memory.(*memory).Watch.func1"),
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config.(*config).run.func2"),
		goleak.IgnoreAnyFunction("go-micro.dev/v4/registry.(*memRegistry).ttlPrune"),
		goleak.IgnoreAnyFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
	}
}

// VerifyTestMain is goleak.VerifyTestMain with GoleakIgnores, the
// goroutines running before the tests ignored, and two garbage collections
// before the check (so that finalizers stop what they stop). Use it as
// `func TestMain(m *testing.M) { ssetest.VerifyTestMain(m) }`.
//
// A test binary started as a server of a NATSCluster runs that server
// instead of the tests.
func VerifyTestMain(m *testing.M, opts ...goleak.Option) {
	runNATSChildIfAsked()
	opts = append(append(GoleakIgnores(), goleak.IgnoreCurrent()), opts...)
	code := m.Run()
	if code == 0 {
		runtime.GC()
		runtime.GC()
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
