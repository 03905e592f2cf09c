package server

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/internal/compress"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Defaults of the server's options, used when an option is not given: the
// one place they are defined, but for MaxConnections', which follows the
// process's file limit (see MaxConnections). The hub's (MaxHistoryEvents
// and the other options of ssebroker.NewBroker and OwnHub) are the
// broker's.
const (
	DefaultEventsPath             = "/events"        // EventsPath
	DefaultStreamParam            = "stream"         // StreamParam
	DefaultLastEventIDParam       = "lastEventId"    // LastEventIDParam
	DefaultRetry                  = 3 * time.Second  // Retry: the retry: field sent on open
	DefaultHeartbeat              = 15 * time.Second // Heartbeat: the longest silence of a stream
	DefaultWriteTimeout           = 10 * time.Second // WriteTimeout: the deadline of each write
	DefaultMaxTopicsPerConnection = 16               // MaxTopicsPerConnection
	DefaultMaxTopicNameLength     = 200              // MaxTopicNameLength, in bytes
	DefaultShutdownGrace          = 5 * time.Second  // ShutdownGrace: how long Stop waits for the streams
	DefaultReadHeaderTimeout      = 10 * time.Second // ReadHeaderTimeout
	DefaultIdleTimeout            = 2 * time.Minute  // IdleTimeout
	DefaultMaxHeaderBytes         = 64 << 10         // MaxHeaderBytes
	DefaultBridgeLinger           = 30 * time.Second // BridgeLinger: how long a bridged topic outlives its last stream
	DefaultShutdownJitter         = 10 * time.Second // ShutdownJitter: the spread of the clients' return after Stop
	DefaultRPCPath                = "/rpc/"          // RPCPath: the path prefix of the RPC endpoints

	DefaultMaxConnectionsPerClient = 256  // MaxConnectionsPerClient: streams open at once per client address
	DefaultConnectRate             = 20.0 // ConnectRate: new requests per second per client address
	DefaultConnectBurst            = 40   // ConnectRate: requests a client address may make at once above the rate

	DefaultAuthCookie     = "access_token" // AuthCookie: the cookie a token is read from
	DefaultAuthQueryParam = "access_token" // AuthQueryParam: the query parameter a token is read from (RFC 6750's name)
)

// bridgeLingerMargin is what the bridge's linger keeps beyond Retry at
// least: the time a client takes to come back after its retry delay.
const bridgeLingerMargin = 2 * time.Second

// DefaultTopicPattern is the topic names allowed when TopicPattern is not
// given: letters, digits and "_ . : / @ -" (no spaces, no wildcards of
// brokers such as NATS' "*" and ">").
var DefaultTopicPattern = regexp.MustCompile(`^[A-Za-z0-9_.:/@-]+$`)

// DefaultAllowedHeaders are the request headers a cross-origin events
// request may carry unless AllowedHeaders says otherwise: the ones an
// EventSource or a polyfill sends.
var DefaultAllowedHeaders = []string{"Last-Event-ID", "Cache-Control", "Accept", "Authorization"}

// The private keys under which the SSE options ride in go-micro's
// server.Options.Context, one type per option.
type (
	eventsPathKey              struct{}
	streamParamKey             struct{}
	lastEventIDParamKey        struct{}
	retryKey                   struct{}
	heartbeatKey               struct{}
	writeTimeoutKey            struct{}
	allowedOriginsKey          struct{}
	allowCredentialsKey        struct{}
	allowedHeadersKey          struct{}
	authorizeKey               struct{}
	headersKey                 struct{}
	maxConnectionsKey          struct{}
	maxConnectionsPerClientKey struct{}
	connectRateKey             struct{}
	clientAddressKey           struct{}
	readHeaderTimeoutKey       struct{}
	idleTimeoutKey             struct{}
	maxHeaderBytesKey          struct{}
	bridgeLingerKey            struct{}
	shutdownJitterKey          struct{}
	maxTopicsPerConnectionKey  struct{}
	maxTopicNameLengthKey      struct{}
	topicPatternKey            struct{}
	onSubscribeKey             struct{}
	onUnsubscribeKey           struct{}
	shutdownGraceKey           struct{}
	goroutinePerStreamKey      struct{}
)

// setOption stores v under k in go-micro's server.Options.Context, the way
// go-micro's plugins carry their own options.
func setOption(k, v any) server.Option {
	return func(o *server.Options) {
		if o.Context == nil {
			o.Context = context.Background()
		}
		o.Context = context.WithValue(o.Context, k, v)
	}
}

// EventsPath sets the path of the events endpoint (default "/events").
func EventsPath(p string) server.Option { return setOption(eventsPathKey{}, p) }

// StreamParam sets the name of the repeated query parameter that names the
// topics of a connection (default "stream": /events?stream=a&stream=b).
func StreamParam(name string) server.Option { return setOption(streamParamKey{}, name) }

// LastEventIDParam sets the name of the query parameter read when the
// Last-Event-ID header is absent, for EventSource polyfills that cannot set
// headers (default "lastEventId").
func LastEventIDParam(name string) server.Option { return setOption(lastEventIDParamKey{}, name) }

// Retry sets the reconnection delay sent to the browser in a "retry:" field
// when a stream opens, and on shutdown (default 3s). It is also the
// Retry-After of a 503 answer (with a random part of ShutdownJitter added
// while the server stops or its broker is not ready).
func Retry(d time.Duration) server.Option { return setOption(retryKey{}, d) }

// Heartbeat sets the longest silence of a stream (default 15s): comment
// frames keep an idle stream through proxies and reveal closed clients,
// sent often enough (after half of it without a write, in every write
// mode) that no stream is silent for d. Keep it below the smallest idle
// timeout on the path (proxies, load balancers: nginx's
// proxy_read_timeout is 60s, HAProxy's timeout server is what its
// configuration sets).
func Heartbeat(d time.Duration) server.Option { return setOption(heartbeatKey{}, d) }

// WriteTimeout sets the deadline of each write to a client (default 10s).
// A client that does not take a write within it is disconnected. It is
// applied per write, never to the whole stream.
func WriteTimeout(d time.Duration) server.Option { return setOption(writeTimeoutKey{}, d) }

// AllowedOrigins sets the origins allowed to read the events cross-origin
// (CORS), each as a browser sends it in Origin ("https://app.example").
// "*" allows any origin, but not with AllowCredentials (Init and Start
// return ErrWildcardCredentials). Without it no CORS header is sent.
func AllowedOrigins(origins ...string) server.Option {
	return setOption(allowedOriginsKey{}, append([]string(nil), origins...))
}

// AllowCredentials lets cross-origin EventSource clients created with
// withCredentials: true read the events (Access-Control-Allow-Credentials)
// from the origins listed in AllowedOrigins; the allowed origin is then
// echoed, never "*".
func AllowCredentials() server.Option { return setOption(allowCredentialsKey{}, true) }

// AllowedHeaders sets the request headers a CORS preflight may ask for
// (default DefaultAllowedHeaders: Last-Event-ID, Cache-Control, Accept,
// Authorization); a preflight asking for another is refused.
func AllowedHeaders(names ...string) server.Option {
	return setOption(allowedHeadersKey{}, append([]string(nil), names...))
}

// AuthorizeFunc decides whether a request may follow the topics (valid
// names, deduplicated and sorted). It returns
// nil to allow, an error wrapping ErrUnauthorized (401) or ErrForbidden (403)
// to refuse; the error's text is the reason sent to the client. Any other
// error refuses with 403.
type AuthorizeFunc func(r *http.Request, topics []string) error

// Authorize sets the hook that authorizes every events request after its
// topics are validated and before it is counted or subscribed.
func Authorize(fn AuthorizeFunc) server.Option { return setOption(authorizeKey{}, fn) }

// Headers adds response headers to every events stream (for example
// Access-Control-Expose-Headers or a Strict-Transport-Security header).
// They cannot override the stream's own: Content-Type, Cache-Control,
// X-Accel-Buffering, Connection, Content-Length, Transfer-Encoding.
func Headers(h http.Header) server.Option { return setOption(headersKey{}, h.Clone()) }

// MaxConnections limits the open event streams of the server; past it a
// request is answered 503 with Retry-After. The default is the process's
// limit of open files (RLIMIT_NOFILE) less a sixteenth, or 10,000 where it
// is unknown; n < 0 means no limit, 0 the default.
func MaxConnections(n int) server.Option { return setOption(maxConnectionsKey{}, n) }

// MaxConnectionsPerClient limits the open event streams of one client
// address (see ClientAddress); past it a request is answered 429 with
// Retry-After (default DefaultMaxConnectionsPerClient, 256; n < 0 means no
// limit, 0 the default).
func MaxConnectionsPerClient(n int) server.Option {
	return setOption(maxConnectionsPerClientKey{}, n)
}

// connectRate is the value of the ConnectRate option.
type connectRate struct {
	perSecond float64
	burst     int
}

// ConnectRate limits the events requests of one client address to
// perSecond on average, with bursts of burst (a token bucket); past it a
// request is answered 429 with a Retry-After of the time until one fits
// (default DefaultConnectRate, 20/s, bursts of DefaultConnectBurst, 40).
// perSecond < 0 means no limit; 0 the default.
func ConnectRate(perSecond float64, burst int) server.Option {
	return setOption(connectRateKey{}, connectRate{perSecond, burst})
}

// ClientAddress sets how the per-client limits (MaxConnectionsPerClient,
// ConnectRate) find the address of a request. By default it is the host of
// RemoteAddr, and clients on a loopback address are exempt. Behind a
// trusted reverse proxy, return the address the proxy sets (the last entry
// of X-Forwarded-For that the proxy added: ForwardedFor does it); an empty
// result exempts the request. The function must not trust headers a
// client can set directly.
func ClientAddress(fn ClientAddressFunc) server.Option { return setOption(clientAddressKey{}, fn) }

// BridgeLinger sets how long, with a broker that is not this module's,
// the server stays subscribed to a topic on the broker after its last
// events client left, so that clients coming back after their retry delay
// resume with nothing missed (default DefaultBridgeLinger, 30s; never less
// than Retry plus 2s). A resume from before a time the node was not
// subscribed gets the reset event, never a silent gap.
func BridgeLinger(d time.Duration) server.Option { return setOption(bridgeLingerKey{}, d) }

// ShutdownJitter spreads the return of the clients of a stopping server:
// the retry delay of each stream's last frame is Retry plus a random part
// of d, so that they do not all reconnect (to another node, or to this one
// restarted) in the same instant (default DefaultShutdownJitter, 10s;
// d < 0: none). The Retry-After of a stream refused while the server stops
// or while its broker is not ready is spread alike.
func ShutdownJitter(d time.Duration) server.Option { return setOption(shutdownJitterKey{}, d) }

// ReadHeaderTimeout bounds how long a client may take to send its request
// headers (http.Server.ReadHeaderTimeout; default 10s).
func ReadHeaderTimeout(d time.Duration) server.Option { return setOption(readHeaderTimeoutKey{}, d) }

// IdleTimeout bounds how long a keep-alive connection waits for its next
// request (http.Server.IdleTimeout, for the mounted handler; an events
// stream is never idle in that sense; default 2m).
func IdleTimeout(d time.Duration) server.Option { return setOption(idleTimeoutKey{}, d) }

// MaxHeaderBytes bounds the size of a request's headers, request line
// included (http.Server.MaxHeaderBytes; default 64 KiB); larger is
// answered 431.
func MaxHeaderBytes(n int) server.Option { return setOption(maxHeaderBytesKey{}, n) }

// MaxTopicsPerConnection limits the topics one request may follow
// (default 16); more is answered 400.
func MaxTopicsPerConnection(n int) server.Option { return setOption(maxTopicsPerConnectionKey{}, n) }

// MaxTopicNameLength limits the length in bytes of a topic name
// (default 200); longer is answered 400.
func MaxTopicNameLength(n int) server.Option { return setOption(maxTopicNameLengthKey{}, n) }

// TopicPattern sets the pattern every topic name must match
// (default DefaultTopicPattern); others are answered 400.
func TopicPattern(re *regexp.Regexp) server.Option { return setOption(topicPatternKey{}, re) }

// StreamFunc is called with the request and the topics (deduplicated and
// sorted) of one stream.
type StreamFunc func(r *http.Request, topics []string)

// OnSubscribe sets a callback run when a stream opens (after the response
// headers are sent). It runs on the request's goroutine and should return
// quickly.
func OnSubscribe(fn StreamFunc) server.Option { return setOption(onSubscribeKey{}, fn) }

// OnUnsubscribe sets a callback run once when a stream that OnSubscribe saw
// ends, for whatever reason.
func OnUnsubscribe(fn StreamFunc) server.Option { return setOption(onUnsubscribeKey{}, fn) }

// ShutdownGrace bounds how long Stop waits for the streams to end when its
// context has no deadline (default 5s).
func ShutdownGrace(d time.Duration) server.Option { return setOption(shutdownGraceKey{}, d) }

// GoroutinePerStream turns off the shared writers: every stream, HTTP/1.1
// included, is served by its own goroutine as HTTP/2 streams are. By
// default plain-TCP HTTP/1.1 streams are taken over after the headers and
// written by a few shared writers, so an idle one holds no goroutine.
func GoroutinePerStream() server.Option { return setOption(goroutinePerStreamKey{}, true) }

// config is the SSE configuration of a server: defaults plus the options
// found in go-micro's server.Options.Context.
type config struct {
	Path             string
	StreamParam      string
	LastEventIDParam string
	Retry            time.Duration
	Heartbeat        time.Duration
	WriteTimeout     time.Duration

	AllowedOrigins   []string
	AllowedHeaders   []string
	AllowCredentials bool
	Authorize        AuthorizeFunc
	Headers          http.Header

	MaxConnections          int // < 0: no limit
	MaxConnectionsPerClient int // < 0: no limit
	ConnectRate             float64
	ConnectBurst            int
	ClientAddress           ClientAddressFunc
	ReadHeaderTimeout       time.Duration
	IdleTimeout             time.Duration
	MaxHeaderBytes          int
	BridgeLinger            time.Duration
	ShutdownJitter          time.Duration // 0: none

	MaxTopicsPerConnection int
	MaxTopicNameLength     int
	TopicPattern           *regexp.Regexp

	// OwnHub is the options of the hub the server makes for itself (with
	// a foreign broker), in the order given.
	OwnHub []hub.Option

	OnSubscribe   StreamFunc
	OnUnsubscribe StreamFunc
	Snapshot      SnapshotFunc // snapshot.go

	ShutdownGrace      time.Duration
	GoroutinePerStream bool
	// Compression is the encodings the events endpoint offers, in order of
	// preference (compression.go); empty: none.
	Compression []compress.Encoding

	RPCPath string      // the prefix of the RPC endpoints (rpc_endpoint.go)
	auth    *authConfig // go-micro auth (auth_options.go); nil without Auth
	// Logger is the server's go-micro logger (set by Start; nil means
	// go-micro's default).
	Logger logger.Logger
}

// configFrom returns the defaults overridden by the SSE options found in
// ctx (go-micro's server.Options.Context); ctx may be nil. Non-positive
// durations and sizes keep the default.
func configFrom(ctx context.Context) *config {
	c := &config{
		Path:                    DefaultEventsPath,
		StreamParam:             DefaultStreamParam,
		LastEventIDParam:        DefaultLastEventIDParam,
		Retry:                   DefaultRetry,
		Heartbeat:               DefaultHeartbeat,
		WriteTimeout:            DefaultWriteTimeout,
		MaxTopicsPerConnection:  DefaultMaxTopicsPerConnection,
		MaxTopicNameLength:      DefaultMaxTopicNameLength,
		TopicPattern:            DefaultTopicPattern,
		ShutdownGrace:           DefaultShutdownGrace,
		RPCPath:                 DefaultRPCPath,
		AllowedHeaders:          DefaultAllowedHeaders,
		MaxConnections:          defaultMaxConnections(),
		MaxConnectionsPerClient: DefaultMaxConnectionsPerClient,
		ConnectRate:             DefaultConnectRate,
		ConnectBurst:            DefaultConnectBurst,
		ReadHeaderTimeout:       DefaultReadHeaderTimeout,
		IdleTimeout:             DefaultIdleTimeout,
		MaxHeaderBytes:          DefaultMaxHeaderBytes,
		BridgeLinger:            DefaultBridgeLinger,
		ShutdownJitter:          DefaultShutdownJitter,
		Compression:             compressionOf(DefaultCompression),
	}
	if ctx == nil {
		return c
	}
	if v, ok := ctx.Value(rpcPathKey{}).(string); ok {
		c.RPCPath = rpcPathOf(v)
	}
	c.auth = authConfigFrom(ctx)
	str(ctx, eventsPathKey{}, &c.Path)
	str(ctx, streamParamKey{}, &c.StreamParam)
	str(ctx, lastEventIDParamKey{}, &c.LastEventIDParam)
	positive(ctx, retryKey{}, &c.Retry)
	positive(ctx, heartbeatKey{}, &c.Heartbeat)
	positive(ctx, writeTimeoutKey{}, &c.WriteTimeout)
	positive(ctx, shutdownGraceKey{}, &c.ShutdownGrace)
	nonZero(ctx, maxConnectionsKey{}, &c.MaxConnections)
	nonZero(ctx, maxConnectionsPerClientKey{}, &c.MaxConnectionsPerClient)
	if v, ok := ctx.Value(connectRateKey{}).(connectRate); ok && v.perSecond != 0 {
		c.ConnectRate, c.ConnectBurst = v.perSecond, max(v.burst, 1)
	}
	if v, ok := ctx.Value(clientAddressKey{}).(ClientAddressFunc); ok {
		c.ClientAddress = v
	}
	positive(ctx, readHeaderTimeoutKey{}, &c.ReadHeaderTimeout)
	positive(ctx, idleTimeoutKey{}, &c.IdleTimeout)
	positive(ctx, maxHeaderBytesKey{}, &c.MaxHeaderBytes)
	positive(ctx, bridgeLingerKey{}, &c.BridgeLinger)
	if v, ok := ctx.Value(shutdownJitterKey{}).(time.Duration); ok && v != 0 {
		c.ShutdownJitter = max(v, 0)
	}
	positive(ctx, maxTopicsPerConnectionKey{}, &c.MaxTopicsPerConnection)
	positive(ctx, maxTopicNameLengthKey{}, &c.MaxTopicNameLength)
	c.OwnHub, _ = ctx.Value(ownHubKey{}).([]hub.Option)
	if v, ok := ctx.Value(allowedOriginsKey{}).([]string); ok {
		c.AllowedOrigins = v
	}
	if v, ok := ctx.Value(allowedHeadersKey{}).([]string); ok {
		c.AllowedHeaders = v
	}
	if v, ok := ctx.Value(authorizeKey{}).(AuthorizeFunc); ok {
		c.Authorize = v
	}
	if v, ok := ctx.Value(headersKey{}).(http.Header); ok {
		c.Headers = v
	}
	if v, ok := ctx.Value(topicPatternKey{}).(*regexp.Regexp); ok && v != nil {
		c.TopicPattern = v
	}
	if v, ok := ctx.Value(onSubscribeKey{}).(StreamFunc); ok {
		c.OnSubscribe = v
	}
	if v, ok := ctx.Value(onUnsubscribeKey{}).(StreamFunc); ok {
		c.OnUnsubscribe = v
	}
	if v, ok := ctx.Value(snapshotKey{}).(SnapshotFunc); ok {
		c.Snapshot = v
	}
	c.AllowCredentials = flag(ctx, allowCredentialsKey{})
	c.GoroutinePerStream = flag(ctx, goroutinePerStreamKey{})
	if v, ok := ctx.Value(compressionKey{}).([]string); ok {
		c.Compression = compressionOf(v)
	}
	return c
}

func str(ctx context.Context, k any, dst *string) {
	if v, ok := ctx.Value(k).(string); ok && v != "" {
		*dst = v
	}
}

func positive[T int | time.Duration](ctx context.Context, k any, dst *T) {
	if v, ok := ctx.Value(k).(T); ok && v > 0 {
		*dst = v
	}
}

// nonZero is positive for limits where a negative value means "none".
func nonZero(ctx context.Context, k any, dst *int) {
	if v, ok := ctx.Value(k).(int); ok && v != 0 {
		*dst = max(v, -1)
	}
}

func flag(ctx context.Context, k any) bool {
	v, _ := ctx.Value(k).(bool)
	return v
}

// check returns an error for a configuration the server refuses to run
// with.
func (c *config) check() error {
	return c.checkCORS()
}

// bridgeLinger is BridgeLinger, raised to Retry plus a margin.
func (c *config) bridgeLinger() time.Duration {
	return max(c.BridgeLinger, c.Retry+bridgeLingerMargin)
}
