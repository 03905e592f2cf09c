package server

import (
	"fmt"
	"runtime/debug"

	"go-micro.dev/v4/logger"
)

// User code is a guest: every call into a hook of the user (Authorize,
// OnSubscribe, OnUnsubscribe) goes through callHook, which recovers a
// panic, logs it with the hook's name, the topics and the stack through
// the go-micro logger, and reports it, so that only the stream concerned
// ends and the server goes on. No hook is called with a lock held that
// another connection needs.

// errHookPanic marks a stream ended because a hook of the user panicked.
var errHookPanic = fmt.Errorf("sse server: hook panicked")

// callHook calls fn, a hook of the user named hook, for a stream on
// topics. It returns false if fn panicked (the panic is logged and counted
// in EndpointStats.HookPanics).
func (e *endpoint) callHook(hook string, topics []string, fn func()) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			e.hookPanics.Add(1)
			e.log().Fields(map[string]any{"hook": hook, "topics": topics}).
				Logf(logger.ErrorLevel, "sse server: %s hook panicked on topics %q: %v\n%s", hook, topics, p, debug.Stack())
			ok = false
		}
	}()
	fn()
	return true
}
