package transport

import (
	"context"
	"time"

	"go-micro.dev/v4/transport"
)

// Defaults of the plugin options.
const (
	// DefaultHeartbeat is how often the server writes a comment on an idle
	// stream. A client that hears nothing for three heartbeats drops the
	// connection with ErrConnectionLost.
	DefaultHeartbeat = 15 * time.Second
	// DefaultMaxMessageSize bounds one message: body plus every header key
	// and value.
	DefaultMaxMessageSize = 4 << 20
	// DefaultPath is the URL path the listener serves and clients use.
	DefaultPath = "/"
)

type heartbeatKey struct{}
type maxMessageSizeKey struct{}
type pathKey struct{}

// Heartbeat sets how often the server writes a heartbeat comment on an idle
// stream (default DefaultHeartbeat). The interval is sent to the client when
// the stream opens, so the client's idle limit (three intervals) follows the
// server it talks to. Zero or less turns heartbeats and the client's idle
// limit off.
func Heartbeat(d time.Duration) transport.Option { return setOption(heartbeatKey{}, d) }

// MaxMessageSize bounds one message, body plus every header key and value
// (default DefaultMaxMessageSize). Send refuses a larger message with
// ErrMessageTooLarge; a larger message received ends the connection.
func MaxMessageSize(n int) transport.Option { return setOption(maxMessageSizeKey{}, n) }

// Path sets the URL path the listener serves and clients dial (default
// DefaultPath), e.g. to route the transport through a reverse proxy.
func Path(p string) transport.Option { return setOption(pathKey{}, p) }

func setOption(k, v any) transport.Option {
	return func(o *transport.Options) {
		if o.Context == nil {
			o.Context = context.Background()
		}
		o.Context = context.WithValue(o.Context, k, v)
	}
}

// settings are the options a socket uses, resolved once.
type settings struct {
	heartbeat time.Duration
	maxMsg    int
	path      string
	timeout   time.Duration
}

func resolve(o transport.Options) settings {
	s := settings{heartbeat: DefaultHeartbeat, maxMsg: DefaultMaxMessageSize, path: DefaultPath, timeout: o.Timeout}
	if o.Context != nil {
		if v, ok := o.Context.Value(heartbeatKey{}).(time.Duration); ok {
			s.heartbeat = v
		}
		if v, ok := o.Context.Value(maxMessageSizeKey{}).(int); ok && v > 0 {
			s.maxMsg = v
		}
		if v, ok := o.Context.Value(pathKey{}).(string); ok && v != "" {
			if v[0] != '/' {
				v = "/" + v
			}
			s.path = v
		}
	}
	return s
}

// maxPending bounds, in message bytes, what a sender queues while a write
// or POST is in flight; Send blocks past it (a single larger message is
// still taken when nothing is queued).
const maxPending = 1 << 20

// maxPost bounds one POST body: a full batch plus one largest message, each
// encoded as text in the worst case.
func (s settings) maxPost() int64 { return int64(8*(maxPending+s.maxMsg) + 4096) }
