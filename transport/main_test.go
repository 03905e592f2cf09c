package transport

import (
	"testing"

	"go-micro.dev/v4/logger"
	"go.uber.org/goleak"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

func TestMain(m *testing.M) {
	// go-micro logs every start and stop at info level.
	logger.DefaultLogger = logger.NewLogger(logger.WithLevel(logger.ErrorLevel))
	// go-micro's own goroutines that never stop (its config watcher, the
	// memory registry's pruner, the rpc client's cache) are ignored by
	// ssetest, which also collects garbage before the check so that
	// finalizers close what nothing references any more.
	ssetest.VerifyTestMain(m, goHTTPTransportIgnores...)
}

// goHTTPTransportIgnores are the goroutines of go-micro's HTTP transport,
// the comparison in the benchmarks (not this package's): its rpc client
// keeps pooled connections with no way to close them, so a server-side
// goroutine serving one, or a client call that timed out, may outlive the
// benchmark. Each is a function of go-micro's HTTP transport itself, so a
// goroutine of this package's transport is never ignored.
var goHTTPTransportIgnores = []goleak.Option{
	// The http.Server of its listener, and the handler serving one socket
	// (go-micro's rpc ServeConn runs inside it).
	goleak.IgnoreAnyFunction("go-micro.dev/v4/transport.(*httpTransportListener).Accept"),
	goleak.IgnoreAnyFunction("go-micro.dev/v4/transport.(*httpTransportListener).newHandler.func1"),
	goleak.IgnoreAnyFunction("go-micro.dev/v4/transport.(*httpTransportListener).Accept.(*httpTransportListener).newHandler.func1"), // inlined
	// A client waiting for an answer (go-micro's call goroutine).
	goleak.IgnoreAnyFunction("go-micro.dev/v4/transport.(*httpTransportClient).Recv"),
}
