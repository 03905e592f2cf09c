package broker_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

func TestMain(m *testing.M) {
	opts := append(ssetest.GoleakIgnores(),
		goleak.IgnoreCurrent(),
		// go-micro's package init starts config.DefaultConfig's run loop,
		// whose watcher goroutines may appear only after IgnoreCurrent ran;
		// they live as long as the process.
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config/loader/memory.(*memory).Watch.func1"),
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config.(*config).run.func2"),
		// Every client.NewClient makes a go-cache whose janitor goroutine
		// stops only when a garbage collection finalizes the cache.
		goleak.IgnoreAnyFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
	)
	goleak.VerifyTestMain(m, opts...)
}
