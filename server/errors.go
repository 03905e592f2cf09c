package server

import (
	"errors"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
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
	// MaxPublisherIDLength bytes: no client could resume from it. This
	// module's broker returns the same error.
	ErrIDTooLong = hub.ErrIDTooLong
	// ErrUnknownTopic is returned (wrapped) by Publish, TryPublish and
	// DeleteTopic for a topic that was not created (CreateTopic) when the
	// hub has ssebroker.ExplicitTopics.
	ErrUnknownTopic = hub.ErrUnknownTopic
	// ErrInvalidTopic is returned (wrapped) by CreateTopic for a name that
	// is not a topic name of the server.
	ErrInvalidTopic = hub.ErrInvalidTopic
	// ErrWildcardCredentials is returned by Init and Start when
	// AllowedOrigins holds "*" and AllowCredentials is set: that would let
	// any site read a user's cookie-authenticated streams. List the
	// origins instead.
	ErrWildcardCredentials = errors.New("sse server: CORS: any origin (\"*\") with credentials")
)

// MaxPublisherIDLength is the longest event id a publisher may set with
// ssebroker.KeepPublisherIDs, in bytes. A Last-Event-ID longer than this is no id of
// the server's: the stream opens with sse-reset (invalid-id).
const MaxPublisherIDLength = hub.MaxPublisherIDLen
