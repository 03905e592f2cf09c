package transport

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent(),
		// go-micro's util/cmd (imported to register the transport) starts a
		// config watcher that never stops.
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config/loader/memory.(*memory).Watch.func1"),
		goleak.IgnoreAnyFunction("go-micro.dev/v4/config.(*config).run.func2"),
	)
}
