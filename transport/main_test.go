package transport

import (
	"testing"

	"go-micro.dev/v4/logger"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// go-micro logs every start and stop at info level.
	logger.DefaultLogger = logger.NewLogger(logger.WithLevel(logger.ErrorLevel))
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent(),
		// go-micro's util/cmd (imported to register the transport) starts a
		// config watcher that never stops.
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config/loader/memory.(*memory).Watch.func1"),
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config.(*config).run.func2"),
		// go-micro's memory registry prunes forever; it has no Stop.
		goleak.IgnoreAnyFunction("go-micro.dev/v4/registry.(*memRegistry).ttlPrune"),
		// a cache go-micro starts lazily and never stops.
		goleak.IgnoreAnyFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
	)
}
