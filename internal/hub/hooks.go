package hub

import (
	"runtime/debug"

	"go-micro.dev/v4/logger"
)

// hookCall is one OnSubscribe or OnUnsubscribe call waiting to be made.
type hookCall struct {
	fn    func(topic string)
	topic string
}

// queueHookLocked queues fn(topic) if fn is set. Calls are queued under
// the publish lock, in the order of the changes, and made by runHooks
// after the lock is released.
func (h *Hub) queueHookLocked(fn func(string), topic string) {
	if fn != nil {
		h.hooks = append(h.hooks, hookCall{fn: fn, topic: topic})
	}
}

// runHooks makes the queued hook calls, one at a time (hookMu) and in
// order. With wait, it waits for another goroutine making calls, so that
// the calls this goroutine queued are made when it returns; without
// (Publish), it leaves them to that goroutine. The re-check after
// unlocking covers calls queued by a goroutine whose TryLock failed while
// this one was finishing.
func (h *Hub) runHooks(wait bool) {
	for {
		if wait {
			h.hookMu.Lock()
		} else if !h.hookMu.TryLock() {
			return
		}
		h.callHooks()
		h.mu.Lock()
		more := len(h.hooks) > 0
		h.mu.Unlock()
		if !more {
			return
		}
		wait = false
	}
}

// callHooks makes queued calls until none is left, then releases hookMu.
func (h *Hub) callHooks() {
	defer h.hookMu.Unlock()
	for {
		h.mu.Lock()
		calls := h.hooks
		h.hooks = nil
		h.mu.Unlock()
		if len(calls) == 0 {
			return
		}
		for _, c := range calls {
			c.call()
		}
	}
}

// call makes the hook call under a recover: a hook that panics is logged
// (go-micro's logger, with the topic and the stack) and the hub goes on,
// with the calls queued after it.
func (c hookCall) call() {
	defer func() {
		if p := recover(); p != nil {
			logger.DefaultLogger.Fields(map[string]any{"topic": c.topic}).
				Logf(logger.ErrorLevel, "sse hub: hook on topic %q panicked: %v\n%s", c.topic, p, debug.Stack())
		}
	}()
	c.fn(c.topic)
}
