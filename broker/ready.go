package broker

import (
	"context"
	"fmt"
	"time"

	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Ready reports whether the broker can deliver what is published: nil
// while it is connected and, with the JetStream option, its node has not
// been behind the stream (or away from NATS) without feeding for longer
// than JetStreamUnreadyAfter; otherwise an error wrapping ErrNotConnected
// or ErrFeedStalled. It reads state the broker keeps (no network call),
// so it is cheap to ask per request. While a JetStream node is not ready
// its open streams are ended with a retry hint and the SSE server refuses
// new ones (503 with Retry-After), so that browsers move to a node that
// feeds. Its
// signature is go-micro's register check: with
// micro.RegisterCheck(HealthCheck(b)) a node that cannot feed its hub
// leaves the registry at the next RegisterInterval and comes back once it
// feeds again; a load balancer's health endpoint can call it too.
func (b *sseBroker) Ready(context.Context) error {
	b.mu.RLock()
	connected, js := b.connected, b.js
	b.mu.RUnlock()
	if !connected {
		return ErrNotConnected
	}
	if js == nil {
		return nil
	}
	if behind := js.behindFor(); behind > js.limits.unreadyAfter {
		return fmt.Errorf("%w: behind for %v (fed %d, %d behind)",
			ErrFeedStalled, behind.Round(time.Millisecond), js.lastFed.Load(), js.lag())
	}
	return nil
}

// HealthCheck returns b's Ready as a check for micro.RegisterCheck (or a
// load balancer's health endpoint). For a broker NewBroker did not make,
// the check always passes.
func HealthCheck(b mbroker.Broker) func(context.Context) error {
	if r, ok := b.(interface{ Ready(context.Context) error }); ok {
		return r.Ready
	}
	return func(context.Context) error { return nil }
}

// DefaultJetStreamUnreadyAfter is how long a node may stay behind the
// stream before Ready fails, unless JetStreamUnreadyAfter says otherwise.
const DefaultJetStreamUnreadyAfter = 10 * time.Second

// behindFor is how long the node has been known behind the stream (or
// away from NATS) without advancing; 0 while it keeps up.
func (j *jetStream) behindFor() time.Duration {
	at := j.behindAt.Load()
	if at == 0 {
		return 0
	}
	return time.Since(time.Unix(0, at))
}

// judge decides every second whether the node keeps up: it is behind
// while its NATS connection is down, or while the stream's last sequence
// (seen within the last 3s) is above the last one fed and nothing is fed;
// a stream that does not answer while the connection is up (a leader
// election, the same for every node) is no reason. While the node has been
// behind for longer than JetStreamUnreadyAfter it is not ready: h's
// streams are ended (their clients told to come back later: a retry
// hint), so that browsers move to a node that feeds, and streams opened
// meanwhile are ended at the next check. It runs until quit is closed.
func (j *jetStream) judge(h *hub.Hub, quit <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(watchInterval)
	defer tick.Stop()
	fed, ready := j.lastFed.Load(), true
	for {
		select {
		case <-quit:
			return
		case <-tick.C:
		}
		f := j.lastFed.Load()
		seen := time.Since(time.Unix(0, j.streamAt.Load())) < 3*watchInterval
		behind := !j.nc.IsConnected() || seen && j.streamLast.Load() > f
		switch {
		case f != fed || !behind:
			j.behindAt.Store(0)
		case j.behindAt.Load() == 0:
			j.behindAt.Store(time.Now().UnixNano())
		}
		fed = f
		behindFor := j.behindFor()
		if behindFor <= j.limits.unreadyAfter {
			if !ready {
				j.log.Logf(logger.InfoLevel, "sse broker: jetstream stream %q: the node feeds its hub again (at %d): ready", j.name, f)
			}
			ready = true
			continue
		}
		n := h.EndSubscribers()
		if ready {
			j.log.Logf(logger.WarnLevel, "sse broker: jetstream stream %q: the node has not fed its hub for %v (fed %d, %d behind): not ready, %d streams ended with a retry hint",
				j.name, behindFor.Round(time.Millisecond), f, j.lag(), n)
		}
		ready = false
	}
}

// lag is the number of stream sequences this node has yet to feed, as
// last seen.
func (j *jetStream) lag() uint64 {
	fed, last := j.lastFed.Load(), j.streamLast.Load()
	if last <= fed {
		return 0
	}
	return last - fed
}

// addStats adds the JetStream side's figures to st.
func (j *jetStream) addStats(st *Stats) {
	st.JetStream = true
	st.JetStreamFed, st.JetStreamNotEvents = j.lastFed.Load(), j.skipped.Load()
	st.JetStreamLag = j.lag()
	st.JetStreamRestarts = j.restarts.Load()
	if at := j.fedAt.Load(); at != 0 {
		st.JetStreamSinceFed = time.Since(time.Unix(0, at))
	}
	st.JetStreamBehindFor = j.behindFor()
}
