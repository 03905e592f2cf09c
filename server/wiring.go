package server

import (
	"go-micro.dev/v4/auth"
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/util/cmd"
)

// How a server finds the service's broker and registry.
//
// micro.Broker(b) and micro.Registry(r) configure the server that is set
// at the moment they are applied: given before micro.Server(sse.NewServer())
// they configure go-micro's default server instead, and the SSE server keeps
// go-micro's default broker (the HTTP broker) and registry (mDNS), while
// the client publishes into b. Likewise --server=sse (MICRO_SERVER=sse)
// makes svc.Init() replace the server with a new one that got none of the
// options given in code. So at Start, a server whose broker or registry is
// still go-micro's default takes the service's instead, from the first of:
//
//  1. go-micro's command line (cmd.DefaultCmd), when svc.Init() made this
//     server the service's server: it holds the service's broker and
//     registry;
//  2. go-micro's default server (server.DefaultServer), which is what
//     micro.Broker and micro.Registry configured when they came before
//     micro.Server.
//
// A broker or registry set on the server itself, other than go-micro's
// defaults, is always kept. adoptServiceWiring logs what it took and why.
//
// The service's auth (micro.Auth(a), or --auth=jwt and the --auth_* flags)
// comes the first way only: go-micro's command line holds a pointer to the
// service's auth once svc.Init() ran, while go-micro's default server has
// no auth at all (server.Options has no Auth field, and micro.Auth sets
// only the service's Options().Auth). A server without the Auth option
// takes the service's auth when it is a real one: go-micro's noop auth
// (auth.DefaultAuth, which the service holds when nothing else was given,
// or any auth whose String() is "noop") never turns authentication on.
// Without svc.Init() the server cannot see micro.Auth: pass sse.Auth(a).

// seenService is what a server can see of the service it belongs to.
type seenService struct {
	broker   broker.Broker
	registry registry.Registry
	auth     auth.Auth // nil when the service's auth cannot be seen (not via svc.Init)
	from     string    // where it was seen
}

// adoptServiceWiring replaces the server's broker and registry with the
// service's when they are still go-micro's defaults, and gives a server
// without the Auth option the service's auth (see above).
func (s *Server) adoptServiceWiring() {
	s.mu.RLock()
	own := s.opts
	s.mu.RUnlock()
	defaultBroker := identical(own.Broker, broker.DefaultBroker)
	defaultRegistry := identical(own.Registry, registry.DefaultRegistry)
	noAuth := own.Context == nil || own.Context.Value(authKey{}) == nil
	if !defaultBroker && !defaultRegistry && !noAuth {
		return
	}
	w := s.serviceWiring()
	b, r := w.broker, w.registry
	var opts []server.Option
	var took string
	if defaultBroker && b != nil && !identical(b, own.Broker) {
		opts = append(opts, server.Broker(b))
		took = "broker " + b.String()
	}
	if defaultRegistry && r != nil && !identical(r, own.Registry) {
		opts = append(opts, server.Registry(r))
		if took != "" {
			took += " and "
		}
		took += "registry " + r.String()
	}
	if took != "" {
		logAt(own.Logger, logger.InfoLevel,
			"sse server: using the service's %s, found on %s: the server still had go-micro's default (micro.Server after micro.Broker or micro.Registry, or --server=sse)", took, w.from)
	}
	if noAuth && realAuth(w.auth) {
		opts = append(opts, Auth(w.auth))
		logAt(own.Logger, logger.InfoLevel,
			"sse server: authenticating with the service's auth %s, found on %s (micro.Auth or --auth): every events stream and RPC call needs a token", w.auth.String(), w.from)
	}
	if len(opts) == 0 {
		return
	}
	s.mu.Lock()
	for _, o := range opts {
		o(&s.opts)
	}
	s.mu.Unlock()
}

// realAuth reports whether a is an auth that authenticates: not nil and not
// go-micro's noop auth, which the service holds by default.
func realAuth(a auth.Auth) bool {
	return a != nil && !identical(a, auth.DefaultAuth) && a.String() != "noop"
}

// serviceWiring returns what the server can see of the service it belongs
// to, and where it saw it; the zero value when it sees nothing.
func (s *Server) serviceWiring() seenService {
	if c := cmd.DefaultCmd; c != nil {
		o := c.Options()
		if o.Server != nil && identical(*o.Server, server.Server(s)) {
			w := seenService{from: "go-micro's command line (svc.Init)"}
			if o.Broker != nil {
				w.broker = *o.Broker
			}
			if o.Registry != nil {
				w.registry = *o.Registry
			}
			if o.Auth != nil {
				w.auth = *o.Auth
			}
			return w
		}
	}
	if d := server.DefaultServer; d != nil && !identical(d, server.Server(s)) {
		o := d.Options()
		return seenService{broker: o.Broker, registry: o.Registry, from: "go-micro's default server"}
	}
	return seenService{}
}

// logHub logs, at Start, which hub the events endpoint serves.
func logHub(l logger.Logger, r *run) {
	switch {
	case r.bridge != nil:
		b := r.bridge.Broker()
		note := ""
		if identical(b, broker.DefaultBroker) {
			note = " (go-micro's default broker: no micro.Broker reached this server)"
		}
		logAt(l, logger.InfoLevel, "sse server: events served from the server's own hub, bridged through broker %s at %s%s: each topic a browser follows is subscribed on it", b.String(), b.Address(), note)
	case r.ownHub:
		logAt(l, logger.InfoLevel, "sse server: events served from the server's own hub, no broker: only Publish and TryPublish reach browsers")
	default:
		logAt(l, logger.InfoLevel, "sse server: events served from the hub shared with broker %s: what the service publishes through it reaches browsers directly", r.broker.String())
	}
}

// identical reports whether a and b are the same value, without panicking
// on values of types that cannot be compared.
func identical(a, b any) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}
