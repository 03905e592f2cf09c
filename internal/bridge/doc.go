// Package bridge feeds a hub from a go-micro broker that is not this
// module's (the HTTP broker, NATS, ...), per topic, with gaps marked. It
// knows the hub, the codec and go-micro's broker, nothing of HTTP.
//
// While a topic has streams, the bridge is subscribed to it on the broker,
// with no queue group so that every node gets every message; each message
// becomes one event (codec.FromMessageFor) published into the hub.
//
// A stream holds its topics (Acquire) before it subscribes to the hub and
// lets go of them when it ends (Release). Each topic's broker subscription
// is made by a goroutine of its own, waited for only by the streams of that
// topic: a broker slow to subscribe one topic never holds up a stream on
// another. When the subscription is in place the hub is told that the
// topic had a gap until then (MarkGap), before any stream waiting for it
// is placed: a resume from before is answered with the reset event, never
// as exact. A failed Subscribe is retried with backoff, driven by the
// streams asking for the topic; meanwhile Acquire fails with a *DownError
// saying when to come back. When the last stream of a topic leaves, the
// subscription lingers (Config.Linger) so that clients coming back after
// their retry find it in place, with nothing missed.
//
// A topic Config.Keep names stays subscribed when its last stream leaves:
// brokers such as go-micro's HTTP broker register one node per topic and
// broker, so the bridge unsubscribing would unregister a go-micro
// subscriber of the same topic too.
package bridge
