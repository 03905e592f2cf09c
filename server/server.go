package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/bridge"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Server is a go-micro server.Server serving Server-Sent Events over HTTP.
// All its methods are safe for concurrent use. Make one with NewServer.
type Server struct {
	// life serializes Start, Stop and Subscribe's broker calls.
	life sync.Mutex

	mu       sync.RWMutex // guards the fields below
	opts     server.Options
	handler  http.Handler           // the user's, mounted beside the events path
	services map[string]*rpcService // go-micro handler structs by name (rpc.go)
	subs     []*subscription        // go-micro subscribers, in order of Subscribe
	run      *run                   // set while started
	created  []string               // topics made by CreateTopic (topics.go)
}

// subscription is a go-micro subscriber and, while the server runs, its
// subscription on the broker.
type subscription struct {
	sb  *subscriber
	sub broker.Subscriber
}

// run is the state of a started server, made by Start and ended by Stop.
type run struct {
	cfg      *config
	broker   broker.Broker // as at Start: Stop disconnects this one
	hub      *hub.Hub
	ownHub   bool           // the server made the hub (and closes it)
	bridge   *bridge.Bridge // set with a broker that is not this module's
	endpoint *endpoint
	http     *http.Server
	ln       net.Listener
	address  string        // the Address configured, restored by Stop
	exit     chan struct{} // closed by Stop: the registrar returns
	regDone  chan struct{} // closed when the registrar returned
	served   chan struct{} // closed when Serve returned
	reg      *registration
}

// NewServer returns a Server with go-micro's options (server.Name,
// server.Address, server.Broker, server.Registry, ...) and this package's
// SSE options (EventsPath, Heartbeat, AllowedOrigins, ... : see their
// docs), all of type server.Option. Defaults are go-micro's (see
// server.NewOptions): without server.Broker and server.Registry that is
// go-micro's default broker and registry, as for the rpc server. Options
// of go-micro RPC that cannot apply to HTTP (ListenOptions, HdlrWrappers,
// Wait) are kept in Options but not used.
func NewServer(opts ...server.Option) *Server {
	return &Server{opts: server.NewOptions(opts...)}
}

// Init applies opts to the server's options; it may be called many times,
// and options given later replace earlier ones. While the server runs,
// changes take effect at the next Start, except the registry metadata,
// name, version and advertised address, used at the next registration.
//
// Init returns ErrWildcardCredentials when the options, as merged, allow
// any origin with credentials; the options are applied all the same, and
// Start refuses to run with them.
func (s *Server) Init(opts ...server.Option) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range opts {
		o(&s.opts)
	}
	return configFrom(s.opts.Context).check()
}

// Options returns a copy of the server's options. While the server runs,
// Address is the address it listens on.
func (s *Server) Options() server.Options {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.opts
	o.Metadata = make(map[string]string, len(s.opts.Metadata))
	for k, v := range s.opts.Metadata {
		o.Metadata[k] = v
	}
	return o
}

// String returns "sse", the name of this server in go-micro (--server=sse).
func (s *Server) String() string { return "sse" }

// httpHandler is a go-micro server.Handler holding an http.Handler (or,
// when made from anything else, the value Handle refuses).
type httpHandler struct {
	value any
	opts  server.HandlerOptions
}

// Name is the handler's type name.
func (h *httpHandler) Name() string {
	if h.value == nil {
		return "<nil>"
	}
	return reflect.TypeOf(h.value).String()
}

// Handler is the value given to NewHandler.
func (h *httpHandler) Handler() interface{} { return h.value }

// Endpoints is empty: an http.Handler has no go-micro endpoints.
func (h *httpHandler) Endpoints() []*registry.Endpoint { return nil }

// Options are the go-micro handler options.
func (h *httpHandler) Options() server.HandlerOptions { return h.opts }

// NewHandler wraps h for Handle. h is an http.Handler (an http.ServeMux to
// serve several paths) or a go-micro handler struct, whose name and
// endpoints are extracted as go-micro's rpc server does
// (server.NewRpcHandler: "Service.Method", metadata "stream": "true" for
// stream methods, plus the endpoint metadata of opts).
func (s *Server) NewHandler(h interface{}, opts ...server.HandlerOption) server.Handler {
	if _, ok := h.(http.Handler); ok || h == nil {
		o := server.HandlerOptions{Metadata: map[string]map[string]string{}}
		for _, f := range opts {
			f(&o)
		}
		return &httpHandler{value: h, opts: o}
	}
	return server.NewRpcHandler(h, opts...)
}

// Handle mounts h on the server's listener; it may be called before or
// while the server runs, and many times.
//
// An http.Handler serves every request whose path is neither the events
// path nor, with RPC handlers mounted, under RPCPath; a second one gives
// ErrHandlerExists. A go-micro handler struct (NewHandler) serves its
// methods at RPCPath + "Service.Method" and registers them with the node;
// another struct of the same name gives ErrHandlerExists, one with no
// method of go-micro's shapes ErrInvalidHandler. A nil handler or value
// gives ErrNotHTTPHandler.
func (s *Server) Handle(h server.Handler) error {
	if h == nil || h.Handler() == nil {
		return fmt.Errorf("%w: nil", ErrNotHTTPHandler)
	}
	hh, ok := h.Handler().(http.Handler)
	if !ok {
		return s.handleRPC(h)
	}
	if reflect.ValueOf(hh).Kind() == reflect.Pointer && reflect.ValueOf(hh).IsNil() {
		return fmt.Errorf("%w: got %T", ErrNotHTTPHandler, h.Handler())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handler != nil {
		return ErrHandlerExists
	}
	s.handler = hh
	return nil
}

// ServeHTTP routes a request: the events path to the events endpoint, the
// browser module beside it, anything else to the mounted handler (404
// without one).
func (s *Server) serveHTTP(r *run) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == r.cfg.Path {
			r.endpoint.ServeHTTP(w, req)
			return
		}
		if req.URL.Path == modulePath(r.cfg.Path) {
			serveModule(w, req)
			return
		}
		if strings.HasPrefix(req.URL.Path, r.cfg.RPCPath) && s.hasRPC() {
			s.serveRPC(r, w, req)
			return
		}
		s.mu.RLock()
		h := s.handler
		s.mu.RUnlock()
		if h == nil {
			http.NotFound(w, req)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// Start listens on Address (with TLS when TLSConfig is set; HTTP/2 is
// offered over TLS), connects the broker, subscribes the go-micro
// subscribers, registers the node (when RegisterCheck passes) and keeps it
// registered every RegisterInterval. Start on a started server does
// nothing. A broker or registry that is still go-micro's default is first
// replaced by the service's (micro.Server after micro.Broker or
// micro.Registry, or --server=sse; from go-micro's command line once
// svc.Init() ran, else from go-micro's default server), and Start logs which hub
// the events endpoint serves: shared with the broker, or bridged through
// which one. If a step fails, what was done is undone and the error returned.
func (s *Server) Start() (err error) {
	s.life.Lock()
	defer s.life.Unlock()
	s.mu.RLock()
	started := s.run != nil
	s.mu.RUnlock()
	if started {
		return nil
	}
	s.adoptServiceWiring() // the service's broker and registry (wiring.go)
	s.mu.RLock()
	opts := s.opts
	s.mu.RUnlock()

	r := &run{
		cfg:     configFrom(opts.Context),
		broker:  opts.Broker,
		address: opts.Address,
		exit:    make(chan struct{}),
		regDone: make(chan struct{}),
		served:  make(chan struct{}),
	}
	if err := r.cfg.check(); err != nil {
		return err
	}
	r.cfg.Logger = opts.Logger
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()

	// The broker first: this module's makes its hub anew when connected
	// after a Disconnect (which closed the last one).
	if opts.Broker != nil {
		if err := opts.Broker.Connect(); err != nil {
			return fmt.Errorf("sse server: broker %s connect: %w", opts.Broker.String(), err)
		}
		undo = append(undo, func() { _ = opts.Broker.Disconnect() })
	}

	// The hub has one owner, who sets its options: the broker when it is
	// this module's (the server takes its hub as it is), else the server
	// (OwnHub), whose hub the bridge feeds.
	if p, ok := opts.Broker.(hub.Provider); ok && p.SSEHub() != nil {
		if len(r.cfg.OwnHub) > 0 {
			return fmt.Errorf("sse server: OwnHub with broker %s, which owns the hub: %w", opts.Broker.String(), ssebroker.ErrHubOptions)
		}
		r.hub = p.SSEHub()
	} else {
		r.ownHub = true
		r.hub = hub.New(r.cfg.OwnHub...)
		if opts.Broker != nil {
			r.bridge = bridge.New(bridge.Config{
				Broker: opts.Broker, Hub: r.hub, Logger: opts.Logger,
				Keep: s.followsTopic, Linger: r.cfg.bridgeLinger(),
			})
		}
		undo = append(undo, r.hub.Close)
	}
	logHub(opts.Logger, r)
	r.endpoint = newEndpoint(r.hub, r.cfg)
	r.endpoint.bridge = r.bridge
	r.endpoint.ready = readiness(opts.Broker)
	undo = append(undo, func() { _ = r.endpoint.Shutdown(context.Background()) })

	ln, err := net.Listen("tcp", opts.Address)
	if err != nil {
		return fmt.Errorf("sse server: listen on %q: %w", opts.Address, err)
	}
	undo = append(undo, func() { ln.Close() })
	r.ln = ln
	r.http = &http.Server{
		Handler:           s.serveHTTP(r),
		ReadHeaderTimeout: r.cfg.ReadHeaderTimeout,
		IdleTimeout:       r.cfg.IdleTimeout,
		MaxHeaderBytes:    r.cfg.MaxHeaderBytes,
		ConnContext:       ConnContext, // deadlines behind middleware that hides the ResponseWriter
		ErrorLog:          log.New(httpErrorLog{opts.Logger}, "", 0),
	}
	if c := opts.TLSConfig; c != nil {
		if len(c.Certificates) == 0 && c.GetCertificate == nil && c.GetConfigForClient == nil {
			return ErrNoCertificate
		}
		// ServeTLS offers HTTP/2 (h2 added to NextProtos) and HTTP/1.1.
		r.http.TLSConfig = c.Clone()
	}

	// Publish the run so that Options report the bound address and the
	// registration sees it.
	s.mu.Lock()
	s.opts.Address = ln.Addr().String()
	s.run = r
	s.mu.Unlock()
	undo = append(undo, func() {
		s.mu.Lock()
		s.opts.Address = r.address
		s.run = nil
		s.mu.Unlock()
	})

	// After the run is published: a CreateTopic meanwhile reaches the hub.
	if err := s.createTopics(r); err != nil {
		return err
	}
	if err := s.subscribeAll(opts.Broker); err != nil {
		return err
	}
	undo = append(undo, s.unsubscribeAll)

	r.reg = newRegistration(s)
	r.reg.check()

	go func() {
		defer close(r.served)
		var err error
		if r.http.TLSConfig != nil {
			err = r.http.ServeTLS(ln, "", "")
		} else {
			err = r.http.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf(opts.Logger, "sse server: serve: %v", err)
		}
	}()
	go func() {
		defer close(r.regDone)
		r.reg.loop(r.exit)
	}()
	return nil
}

// Stop drains and stops a started server: it stops re-registering and
// deregisters the node, tells every events client to come back later (a
// retry hint) and ends the streams within the shutdown grace period (then
// closes what is left), closes the listener, unsubscribes the go-micro
// subscribers and the bridge, and disconnects the broker. Nothing the
// server started is left running when it returns. Stop without Start, or a
// second Stop, returns nil at once.
func (s *Server) Stop() error {
	s.life.Lock()
	defer s.life.Unlock()
	r := s.current()
	if r == nil {
		return nil
	}
	var errs []error

	close(r.exit)
	<-r.regDone
	r.reg.deregister()

	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.ShutdownGrace)
	defer cancel()
	drained := r.endpoint.Shutdown(ctx) == nil
	if err := r.http.Shutdown(ctx); err != nil {
		// Grace period over: close the connections still open.
		r.http.Close()
	}
	<-r.served
	if !drained {
		// The connections are closed now: what is left of the streams
		// (their OnUnsubscribe included) ends with them. Wait for it, so
		// that nothing of the server runs once Stop returns; only user
		// code that does not return can hold it past this bound.
		wait, cancel := context.WithTimeout(context.Background(), max(r.cfg.WriteTimeout, r.cfg.ShutdownGrace))
		defer cancel()
		if err := r.endpoint.Shutdown(wait); err != nil {
			errs = append(errs, fmt.Errorf("sse server: events endpoint shutdown: streams still running: %w", err))
		}
	}

	s.unsubscribeAll()
	if r.bridge != nil {
		r.bridge.Close()
	}
	if r.ownHub {
		r.hub.Close()
	}
	if r.broker != nil {
		if err := r.broker.Disconnect(); err != nil {
			errs = append(errs, fmt.Errorf("sse server: broker %s disconnect: %w", r.broker.String(), err))
		}
	}

	s.mu.Lock()
	if s.opts.Address == r.ln.Addr().String() { // not changed by Init meanwhile
		s.opts.Address = r.address
	}
	s.run = nil
	s.mu.Unlock()
	return errors.Join(errs...)
}

// current returns the run of a started server, or nil.
func (s *Server) current() *run {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.run
}

// httpErrorLog carries net/http's own messages (TLS handshake errors, ...)
// to the go-micro logger at debug level.
type httpErrorLog struct{ l logger.Logger }

func (w httpErrorLog) Write(p []byte) (int, error) {
	if w.l != nil {
		w.l.Logf(logger.DebugLevel, "sse server: http: %s", strings.TrimSpace(string(p)))
	}
	return len(p), nil
}
