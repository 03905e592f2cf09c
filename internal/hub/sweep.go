package hub

import (
	"runtime"
	"time"
	"weak"
)

// Age expiry without a goroutine per topic: the topics holding history are
// kept in one list, least recently published first (Publish moves a topic
// to the back). A topic whose newest event is older than HistoryAge holds
// nothing but expired events, and all such topics are at the front of the
// list. One timer per hub (time.AfterFunc, so no goroutine while it waits;
// it holds the hub weakly, so it never keeps a dropped hub alive) fires when the front topic's newest event expires, plus a little slack
// so that expiries are batched; it frees those topics' history and forgets
// the ones nobody subscribes to. Partly expired history of a topic still
// in use is trimmed when the topic is published to or subscribed to.

// sweepSlack returns how late the sweep may run after the first expiry.
func sweepSlack(age time.Duration) time.Duration {
	return min(age/16, time.Minute)
}

// armSweepLocked makes sure the sweep timer will fire when the front of
// the sweep list expires.
func (h *Hub) armSweepLocked() {
	if h.closed || h.opts.HistoryAge <= 0 || h.listHead == nil {
		return
	}
	at := h.listHead.hist.back().at + int64(h.opts.HistoryAge+sweepSlack(h.opts.HistoryAge))
	if h.sweepArmed && h.sweepAt <= at {
		return
	}
	d := time.Duration(at - h.clock())
	if h.sweepTimer == nil {
		// The timer holds the hub weakly: a hub dropped without Close
		// (with its history) is collected, and its timer stopped.
		wh := weak.Make(h)
		h.sweepTimer = time.AfterFunc(d, func() {
			if h := wh.Value(); h != nil {
				h.sweep()
			}
		})
		runtime.AddCleanup(h, func(t *time.Timer) { t.Stop() }, h.sweepTimer)
	} else {
		h.sweepTimer.Reset(d)
	}
	h.sweepArmed, h.sweepAt = true, at
}

// sweep is the timer's function: it expires and re-arms.
func (h *Hub) sweep() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweepArmed = false
	h.expireLocked(h.clock())
	h.armSweepLocked()
}

// expireLocked frees the history of every topic whose newest event is
// older than HistoryAge at now.
func (h *Hub) expireLocked(now int64) {
	if h.opts.HistoryAge <= 0 {
		return
	}
	cutoff := now - int64(h.opts.HistoryAge)
	for t := h.listHead; t != nil && t.hist.back().at <= cutoff; t = h.listHead {
		for t.hist.len() > 0 {
			h.evictLocked(t)
		}
		h.unlistLocked(t)
		h.maybeForgetLocked(t)
	}
}
