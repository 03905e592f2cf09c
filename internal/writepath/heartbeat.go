package writepath

import "time"

// Heartbeats are comment frames that keep an idle stream through proxies
// and reveal a closed client by a failing write. No stream stays silent
// for the configured heartbeat interval: a stream with its own goroutine
// sends one after half of it without a write; the shared writers sweep
// their streams every half interval and send one to each that wrote
// nothing for a quarter of it (so at most three quarters go by without a
// write, a quarter left for scheduling). The sweep also peeks at each
// socket to find the clients that left.

// HeartbeatTick is the sweep interval of the shared writers for the
// heartbeat interval every, and the silence after which a stream with its
// own goroutine sends a heartbeat: half of every, at least a millisecond.
func HeartbeatTick(every time.Duration) time.Duration {
	return max(every/2, time.Millisecond)
}

// HeartbeatQuiet is the silence after which a sweep every HeartbeatTick
// sends a heartbeat: a quarter of every, so that the next sweep never
// comes after three quarters of it without a write.
func HeartbeatQuiet(every time.Duration) time.Duration { return HeartbeatTick(every) / 2 }
