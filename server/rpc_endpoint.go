package server

import (
	"net/http"
	"path"
	"strings"
	"time"

	"go-micro.dev/v4/auth"
	merrors "go-micro.dev/v4/errors"
	"go-micro.dev/v4/server"
)

// The RPC endpoints: RPCPath + "Service.Method" (default /rpc/Greeter.Call)
// on the server's listener, or the last path segment of any request given
// to RPCHandler. A stream method takes GET (EventSource), a unary method
// GET or POST; OPTIONS answers CORS preflights as the events endpoint
// does (AllowedOrigins). Refusals are go-micro errors in JSON: 404 for an
// unknown endpoint, 405 for another method, 401/403 from Auth, 415/413 for
// a body no codec reads or too large, 503 while not running or stopping.

// Reasons an RPC request is refused, counted in EndpointStats.Refused
// beside the events endpoint's.
const (
	ReasonUnknownEndpoint = "unknown_endpoint" // 404: no such Service.Method
	ReasonBadRequest      = "bad_request"      // 413, 415: a body that cannot be read
)

type rpcPathKey struct{}

// RPCPath sets the path prefix under which the RPC endpoints of the
// handlers mounted with Handle are served (default "/rpc/": GET
// /rpc/Greeter.Stream). Paths under it go to the user's http.Handler
// while no RPC handler is mounted.
func RPCPath(p string) server.Option { return setOption(rpcPathKey{}, p) }

// rpcPathOf normalizes the RPCPath option: a leading and a trailing slash.
func rpcPathOf(p string) string {
	if p == "" {
		return DefaultRPCPath
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// serveRPC serves one request to an RPC endpoint, named by the last
// segment of its path.
func (s *Server) serveRPC(rn *run, w http.ResponseWriter, hr *http.Request) {
	e := rn.endpoint
	opts := s.Options()
	endpoint := path.Base(hr.URL.Path)
	svc, m := s.rpcMethod(endpoint)
	if hr.Method == http.MethodOptions {
		e.rpcPreflight(w, hr, m)
		return
	}
	e.setCORS(w.Header(), hr)
	if m == nil {
		e.refuseRPC(w, opts.Name, ReasonUnknownEndpoint, merrors.NotFound(opts.Name, "unknown endpoint %q", endpoint))
		return
	}
	endpoint = svc.name + "." + m.name
	if hr.Method != http.MethodGet && (m.stream || hr.Method != http.MethodPost) {
		w.Header().Set("Allow", rpcAllow(m))
		e.refuseRPC(w, opts.Name, ReasonMethod, merrors.MethodNotAllowed(opts.Name, "%s: use %s", endpoint, rpcAllow(m)))
		return
	}
	q, reason, text := e.queryOf(hr)
	if reason != "" {
		e.refuseRPC(w, opts.Name, reason, merrors.BadRequest(opts.Name, "%s", text))
		return
	}
	lastID := e.lastEventID(hr, q)
	req, status, text := s.newRPCRequest(opts, rn.cfg, hr, q, endpoint, m.stream)
	if status != 0 {
		e.refuseRPC(w, opts.Name, ReasonBadRequest, merrors.New(opts.Name, text, int32(status)))
		return
	}
	ctx := rpcContext(hr.Context(), req, lastID)
	var expiry time.Time
	if a := rn.cfg.auth; a != nil {
		acc, exp, status, text := a.authenticate(hr)
		if status == 0 {
			status, text = a.verify(acc, endpointResource(opts.Name, endpoint))
		}
		if status != 0 {
			e.refuseRPC(w, opts.Name, authReason(status), merrors.New(opts.Name, text, int32(status)))
			return
		}
		if acc != nil {
			ctx = auth.ContextWithAccount(ctx, acc)
		}
		expiry = exp
	}
	if m.stream {
		s.serveRPCStream(ctx, e, w, hr, opts, svc, m, req, lastID, expiry)
		return
	}
	s.serveRPCUnary(ctx, e, w, hr, opts, svc, m, req)
}

// rpcAllow is the Allow header of an RPC endpoint.
func rpcAllow(m *rpcMethod) string {
	if m != nil && m.stream {
		return "GET, OPTIONS"
	}
	return "GET, POST, OPTIONS"
}

// refuseRPC answers err (a go-micro error) and counts reason.
func (e *endpoint) refuseRPC(w http.ResponseWriter, service, reason string, err error) {
	e.refusedMu.Lock()
	e.refused[reason]++
	e.refusedMu.Unlock()
	writeRPCError(w, service, err)
}

// rpcPreflight answers an OPTIONS request to an RPC endpoint as the
// events endpoint's preflight does, with the methods of the
// endpoint (GET, and POST for a unary method, which may also send
// Content-Type).
func (e *endpoint) rpcPreflight(w http.ResponseWriter, r *http.Request, m *rpcMethod) {
	method, goOn := e.preflightOrigin(w, r, rpcAllow(m))
	if !goOn {
		return
	}
	unary := m != nil && !m.stream
	var extra []string
	if unary {
		extra = []string{"Content-Type"}
	}
	requested, ok := e.allowedHeaders(r, extra...)
	if m == nil || !ok || method != http.MethodGet && (!unary || method != http.MethodPost) {
		e.refusePreflight(w, r, "method or headers not allowed")
		return
	}
	grantPreflight(w, strings.TrimSuffix(rpcAllow(m), ", OPTIONS"), requested)
}
