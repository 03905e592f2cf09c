// Package broker is a go-micro v4 broker.Broker whose Publish goes into the
// SSE hub that the go-micro-sse server serves to browsers, and whose
// Subscribe delivers in-process to go-micro handlers.
//
// Users import it as ssebroker and hand it to micro.NewService:
//
//	svc := micro.NewService(
//		micro.Server(sse.NewServer()), // any order (README, "Wiring")
//		micro.Client(client.NewClient()),
//		micro.Broker(ssebroker.NewBroker()),
//		micro.Registry(registry.NewMemoryRegistry()),
//	)
//
// The server finds the broker's hub and serves it; anything
// published with the go-micro API (micro.NewEvent(topic, svc.Client())) or
// with Publish reaches every browser on the topic. It is registered as
// go-micro's "sse" broker (--broker=sse, MICRO_BROKER=sse).
//
// # The path of one message
//
// Publish maps the go-micro message to an SSE event (codec.FromMessage: the
// body is the data, a JSON body loses go-micro's trailing newline, the
// Sse-Event, Sse-Id and Sse-Retry headers set those fields; a header that
// would inject a field is refused with an error and nothing is delivered
// anywhere; Sse-Encoding: base64 base64-encodes the data for browsers, and
// a body that is not UTF-8 without it, or the server's Base64Data, is
// skipped for browsers only, counted in Stats.BinarySkipped and logged),
// publishes it into the hub (which never waits on a browser), and
// then hands the original go-micro message to the in-process subscriptions
// of the topic. A browser's copy is therefore never delayed by a go-micro
// handler, and a handler is never delayed by a browser.
//
// # In-process delivery
//
// Each subscription has one goroutine and a bounded queue (SubscriberQueue,
// default DefaultSubscriberQueue messages). Publish never waits for a
// handler: it puts the message on the queue and returns. When a
// subscription's queue is full the message is dropped for that subscription
// and counted (Stats.Dropped); the browser copy and the other subscriptions
// are unaffected. Messages of one subscription are handled one at a time,
// in publish order. Unsubscribe never waits for the handler (it may be
// called from it); Disconnect, called from outside the handlers, waits
// until no handler call of any subscription runs.
//
// With broker.Queue(name), the subscriptions of one topic that share the
// name form a group, and exactly one member of the group gets each message
// (round robin, skipping members whose queue is full; when every member's
// queue is full the message is dropped for the group and counted).
//
// Ack is a no-op: delivery is in-process and at most once, nothing is
// redelivered, so broker.DisableAutoAck changes nothing. When a handler
// returns an error, the event's Error() returns it, the broker's
// ErrorHandler (broker.ErrorHandler) is called with the event if set,
// otherwise the error is logged with the broker's Logger; in both cases it
// is counted (Stats.HandlerErrors), the message is not redelivered and the
// browser copy, already published, is unaffected.
//
// # Many nodes (JetStream)
//
// With JetStream(nc, stream) the broker is one node of a cluster whose log
// is the NATS JetStream stream: Publish stores the message in the stream
// and returns once JetStream acknowledged it, and every node consumes the
// stream and feeds its hub and its in-process subscriptions from it, this
// node included. Each node reads the stream with a consumer it makes and
// watches: it replaces it on a consumer error, the server's shutdown
// notice, lost heartbeats, or no progress while the stream is ahead
// (JetStreamStallTimeout). Publishes carry a message id (Nats-Msg-Id,
// go-micro's Micro-ID, or a new one), so a retry within the stream's
// duplicate window is stored once. In production the stream is replicated
// on three servers (JetStreamReplicas, JetStreamConfig) and each node is
// given every server's URL; Connect waits for the stream through an
// election (JetStreamConnectWait). A node behind the stream for longer than
// JetStreamUnreadyAfter is not ready (Ready, HealthCheck: ErrFeedStalled):
// it ends its streams with a retry hint, its server refuses new ones
// (503, Retry-After) and leaves the
// registry, until it feeds again. See Subject for the topic to subject
// rule, and the README's "Many nodes" for ids, resume and failure
// behaviour.
//
// # The hub and its options
//
// The broker owns its hub: one per broker, made by NewBroker with the hub
// options given there (MaxHistoryEvents, MaxHistoryBytes, MaxHistoryAge,
// HistoryBudget, MaxReplay, ExplicitTopics, KeepPublisherIDs, Base64Data)
// and never changed afterwards (Init refuses them with ErrHubOptions); a
// Connect after a Disconnect (which closes the hub) makes a new one with
// the same options, and with JetStream Connect makes it (the stream's
// epoch and start). A server serving it (found after Connect) serves it as
// it is; given options for a hub of its own (sse.OwnHub), the server
// refuses to start (ErrHubOptions). So there is one owner and one place
// where the hub's options are set, and nothing the server does outlives
// its Stop. The same options, given to sse.OwnHub, set the hub a server
// makes for itself when its broker is another.

package broker
