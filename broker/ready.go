package broker

import (
	"context"
	"fmt"
	"time"

	mbroker "go-micro.dev/v4/broker"
)

// Ready reports whether the broker can deliver what is published: nil
// while it is connected and, with the JetStream option, its feed has been
// up to the stream's end (or advancing) within JetStreamUnreadyAfter;
// otherwise an error wrapping ErrNotConnected or ErrFeedStalled. Its
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
		return fmt.Errorf("%w: not up to the stream's end for %v (fed %d, %d behind)",
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

// behindFor is the time since the feed was last seen up to the stream's
// end or advancing.
func (j *jetStream) behindFor() time.Duration {
	return time.Since(time.Unix(0, j.currentAt.Load()))
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
	if j.currentAt.Load() != 0 {
		st.JetStreamBehindFor = j.behindFor()
	}
}
