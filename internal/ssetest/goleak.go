package ssetest

import "go.uber.org/goleak"

// GoleakIgnores are goroutines that go-micro starts and gives no way to
// stop; pass them to goleak.VerifyTestMain or goleak.VerifyNone beside
// goleak.IgnoreCurrent(). Every registry.NewMemoryRegistry starts ttlPrune,
// which runs forever.
func GoleakIgnores() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("go-micro.dev/v4/registry.(*memRegistry).ttlPrune"),
	}
}
