package server

import (
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/util/addr"
	mnet "go-micro.dev/v4/util/net"
)

// registration keeps the node of a running server in the registry.
type registration struct {
	s *Server

	mu       sync.Mutex
	service  *registry.Service // as last registered; nil when not registered
	registry registry.Registry // where service is registered
}

func newRegistration(s *Server) *registration { return &registration{s: s} }

// check runs the broker's readiness check (this module's broker: in
// JetStream mode, a node that cannot feed its hub is not ready) and
// RegisterCheck, and registers the node if they pass; if one fails (or
// RegisterCheck panics: it is user code, recovered and logged with its
// stack), a registered node is deregistered, as go-micro's rpc server
// does.
func (g *registration) check() {
	opts := g.s.Options()
	if b, ok := opts.Broker.(interface{ Ready(context.Context) error }); ok {
		if err := b.Ready(context.Background()); err != nil {
			logf(opts.Logger, "sse server: %s-%s not ready: %v", opts.Name, opts.Id, err)
			g.deregister()
			return
		}
	}
	if opts.RegisterCheck != nil {
		if err := safeRegisterCheck(opts); err != nil {
			logf(opts.Logger, "sse server: %s-%s register check: %v", opts.Name, opts.Id, err)
			g.deregister()
			return
		}
	}
	if err := g.register(opts); err != nil {
		logf(opts.Logger, "sse server: %s-%s register: %v", opts.Name, opts.Id, err)
	}
}

// loop re-checks and re-registers every RegisterInterval until exit is
// closed. With no interval it only waits.
func (g *registration) loop(exit <-chan struct{}) {
	interval := g.s.Options().RegisterInterval
	if interval <= 0 {
		<-exit
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-exit:
			return
		case <-t.C:
			g.check()
		}
	}
}

// register registers the node with RegisterTTL. When the name, version or
// node id changed since the last registration (Init while running), the
// old node is deregistered first.
func (g *registration) register(opts server.Options) error {
	svc, err := g.s.nodeService(opts)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if old := g.service; old != nil && (g.registry != opts.Registry || old.Name != svc.Name ||
		old.Version != svc.Version || old.Nodes[0].Id != svc.Nodes[0].Id) {
		_ = g.registry.Deregister(old)
		g.service = nil
	}
	if err := opts.Registry.Register(svc, registry.RegisterTTL(opts.RegisterTTL)); err != nil {
		return fmt.Errorf("sse server: registry %s: %w", opts.Registry.String(), err)
	}
	g.service, g.registry = svc, opts.Registry
	return nil
}

// deregister removes the node if it is registered.
func (g *registration) deregister() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.service == nil {
		return
	}
	if err := g.registry.Deregister(g.service); err != nil {
		logf(g.s.Options().Logger, "sse server: %s deregister: %v", g.service.Nodes[0].Id, err)
	}
	g.service, g.registry = nil, nil
}

// nodeService describes the node as go-micro's rpc server does: node id
// Name-Id, the advertised (else listening) address with an unspecified host
// replaced by a private IP, the server's Metadata plus "protocol" and
// "server" ("sse"), "broker", "registry", "transport", "events_path" and,
// with TLS, "secure"; the endpoints of the go-micro subscribers that are
// not internal.
func (s *Server) nodeService(opts server.Options) (*registry.Service, error) {
	address, err := advertised(opts)
	if err != nil {
		return nil, err
	}
	md := make(map[string]string, len(opts.Metadata)+7)
	for k, v := range opts.Metadata {
		md[k] = v
	}
	md["protocol"] = "sse"
	md["server"] = s.String()
	if opts.Broker != nil {
		md["broker"] = opts.Broker.String()
	}
	if opts.Registry != nil {
		md["registry"] = opts.Registry.String()
	}
	if opts.Transport != nil {
		md["transport"] = opts.Transport.String()
	}
	if r := s.current(); r != nil {
		md["events_path"] = r.cfg.Path
		if s.hasRPC() {
			md["rpc_path"] = r.cfg.RPCPath
		}
	}
	if opts.TLSConfig != nil {
		md["secure"] = "true"
	}
	return &registry.Service{
		Name:      opts.Name,
		Version:   opts.Version,
		Nodes:     []*registry.Node{{Id: opts.Name + "-" + opts.Id, Address: address, Metadata: md}},
		Endpoints: s.endpoints(),
	}, nil
}

// advertised is the address to register: Advertise if set, else Address,
// with an empty or unspecified host replaced by a private IP of the
// machine (go-micro's util/addr.Extract).
func advertised(opts server.Options) (string, error) {
	a := opts.Address
	if opts.Advertise != "" {
		a = opts.Advertise
	}
	host, port := a, ""
	if strings.Contains(a, ":") {
		h, p, err := net.SplitHostPort(a)
		if err != nil {
			return "", fmt.Errorf("sse server: address %q: %w", a, err)
		}
		host, port = h, p
	}
	ip, err := addr.Extract(host)
	if err != nil {
		return "", fmt.Errorf("sse server: address %q: %w", a, err)
	}
	if port != "" {
		ip = mnet.HostPort(ip, port)
	}
	return ip, nil
}

// endpoints are the registry endpoints of the RPC handlers, by name, then
// those of the subscribers not marked internal, by topic, as go-micro's
// rpc server registers them.
func (s *Server) endpoints() []*registry.Endpoint {
	eps := s.rpcEndpoints()
	s.mu.RLock()
	subs := make([]*subscriber, 0, len(s.subs))
	for _, sub := range s.subs {
		if !sub.sb.opts.Internal {
			subs = append(subs, sub.sb)
		}
	}
	s.mu.RUnlock()
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].topic < subs[j].topic })
	for _, sb := range subs {
		eps = append(eps, sb.endpoints...)
	}
	return eps
}

// safeRegisterCheck runs RegisterCheck, turning a panic into an error.
func safeRegisterCheck(opts server.Options) (err error) {
	defer func() {
		if p := recover(); p != nil {
			logf(opts.Logger, "sse server: %s-%s register check panicked: %v\n%s", opts.Name, opts.Id, p, debug.Stack())
			err = fmt.Errorf("register check panicked: %v", p)
		}
	}()
	return opts.RegisterCheck(opts.Context)
}
