package server

import (
	"errors"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
)

// Errors of the server's methods that a caller may need to tell apart
// (errors.Is).
var (
	// ErrNotHTTPHandler is returned by Handle for a nil handler, a handler
	// made from nil or a nil http.Handler (a handler struct is served as
	// go-micro RPC; see ErrInvalidHandler).
	ErrNotHTTPHandler = errors.New("sse server: handler is nil")
	// ErrHandlerExists is returned by Handle when an http.Handler is
	// already mounted (the server mounts one: use an http.ServeMux to
	// route several), or a handler struct of the same service name.
	ErrHandlerExists = errors.New("sse server: handler already mounted")
	// ErrInvalidHandler is returned (wrapped, with the reason) by Handle
	// for a handler struct with no method of go-micro's shapes
	// func(ctx, *Req, *Rsp) error or func(ctx, server.Stream) error.
	ErrInvalidHandler = errors.New("sse server: invalid handler")
	// ErrInvalidSubscriber is returned (wrapped, with the reason) by
	// Subscribe for a subscriber whose handler does not have go-micro's
	// signature func(context.Context, *T) error (or is a value with no
	// such methods).
	ErrInvalidSubscriber = errors.New("sse server: invalid subscriber")
	// ErrNoCertificate is returned by Start when TLSConfig is set but has
	// no certificate (Certificates, GetCertificate or GetConfigForClient).
	ErrNoCertificate = errors.New("sse server: TLSConfig has no certificate")
	// ErrNotRunning is returned by Publish, TryPublish and PublishData
	// before Start and after Stop: the hub they publish into lives while
	// the server runs.
	ErrNotRunning = errors.New("sse server: not running")
	// ErrIDTooLong is returned (wrapped) by Publish and TryPublish, with
	// ssebroker.KeepPublisherIDs, for an event whose id is longer than
	// MaxPublisherIDLength bytes: no client could resume from it. It is
	// the broker's error: the same whatever the broker.
	ErrIDTooLong = ssebroker.ErrIDTooLong
	// ErrUnknownTopic is returned (wrapped) by Publish, TryPublish and
	// DeleteTopic for a topic that was not created (CreateTopic) when the
	// hub has ssebroker.ExplicitTopics; Publish returns it only when no
	// go-micro subscriber of this node follows the topic either. It is the
	// broker's error.
	ErrUnknownTopic = ssebroker.ErrUnknownTopic
	// ErrInvalidTopic is returned (wrapped, with the reason) by Publish
	// and TryPublish for a topic name no hub takes (empty, longer than 256
	// bytes, not UTF-8, holding a control character), and by CreateTopic
	// for a name that is not a topic name of the server (MaxTopicNameLength,
	// TopicPattern). It is the broker's error.
	ErrInvalidTopic = ssebroker.ErrInvalidTopic
	// ErrEventTooLarge is returned (wrapped) by Publish and TryPublish for
	// an event whose encoded frame, with its id line, is larger than the
	// history can hold: the smaller of ssebroker.MaxHistoryBytes and
	// HistoryBudget, or without history (a bound of zero) the live window
	// of 1 MiB. Such an event would be dropped at once and every stream
	// waiting for it cut off, so it is refused and goes nowhere. It is the
	// broker's error.
	ErrEventTooLarge = ssebroker.ErrEventTooLarge
	// ErrFedHub is returned (wrapped) by TryPublish when the hub is fed
	// from JetStream (ssebroker.JetStream): its ids are the stream's, so
	// an event enters it only through the stream. Use Publish, which
	// stores the event in the stream and waits for the acknowledgement.
	ErrFedHub = errors.New("sse server: the hub is fed from JetStream: publish with Publish")
	// ErrWildcardCredentials is returned by Init and Start when
	// AllowedOrigins holds "*" and AllowCredentials is set: that would let
	// any site read a user's cookie-authenticated streams. List the
	// origins instead.
	ErrWildcardCredentials = errors.New("sse server: CORS: any origin (\"*\") with credentials")
)

// MaxPublisherIDLength is the longest event id a publisher may set with
// ssebroker.KeepPublisherIDs, in bytes. A Last-Event-ID longer than this
// is no id of the server's: the stream opens with sse-reset (invalid-id).
const MaxPublisherIDLength = 256
