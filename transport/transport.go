package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"

	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/transport"
	"go-micro.dev/v4/util/cmd"
	mnet "go-micro.dev/v4/util/net"
)

func init() {
	cmd.DefaultTransports["sse"] = NewTransport
}

// sseTransport is the go-micro transport.Transport of this package.
type sseTransport struct {
	mu   sync.RWMutex
	opts transport.Options
}

// NewTransport returns a go-micro transport that carries messages over plain
// HTTP: an event stream from server to client, POSTs from client to server.
// It understands transport.Timeout, Secure, TLSConfig and Logger, and the
// plugin options Heartbeat, MaxMessageSize and Path. It is safe for
// concurrent use; Init may be called at any time and affects later Dial and
// Listen calls.
func NewTransport(opts ...transport.Option) transport.Transport {
	t := &sseTransport{opts: transport.Options{
		Logger:  logger.DefaultLogger,
		Context: context.Background(),
	}}
	for _, o := range opts {
		o(&t.opts)
	}
	return t
}

// Init applies more options.
func (t *sseTransport) Init(opts ...transport.Option) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range opts {
		o(&t.opts)
	}
	return nil
}

// Options returns the current options.
func (t *sseTransport) Options() transport.Options {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.opts
}

// String is "sse".
func (t *sseTransport) String() string { return "sse" }

// Listen listens on addr (host:port; a port range "host:8000-8010" picks
// the first free port, as go-micro's HTTP transport does).
func (t *sseTransport) Listen(addr string, _ ...transport.ListenOption) (transport.Listener, error) {
	o := t.Options()
	cfg, err := serverTLS(o, addr)
	if err != nil {
		return nil, err
	}
	ln, err := mnet.Listen(addr, func(a string) (net.Listener, error) { return net.Listen("tcp", a) })
	if err != nil {
		return nil, fmt.Errorf("sse transport: listen: %w", err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	return newListener(ln, o), nil
}
