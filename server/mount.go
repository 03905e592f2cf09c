package server

import (
	"net/http"
	"strings"
)

// Mounting on the user's own mux. The handlers below serve the hub, the
// RPC handlers and the options of the server they come from, so that the
// events and RPC endpoints can sit on the user's http.ServeMux, behind the
// user's middleware, in a go-micro web service or a gin router, beside or
// instead of the server's own listener:
//
//	mux.Handle("/events", auth(srv.EventsHandler()))
//	mux.Handle("/rpc/", srv.RPCHandler())
//
// The server must run (Start, or micro's Run): it owns the hub, the shared
// writers and the registration. Before Start and after Stop every request
// is answered 503 with Retry-After (the Retry delay), never a hang; Stop
// ends the streams served through these handlers as it ends the server's
// own. A streaming response must reach the connection: middleware that
// wraps the http.ResponseWriter should offer Unwrap() http.ResponseWriter
// (or Flush and http.Hijacker). A wrapper without Unwrap that holds the
// writer underneath in an exported field is looked through that field for
// flushes and write deadlines; behind one that hides it, an HTTP/1 stream
// sets its deadlines on the connection ConnContext recorded (the server's
// own listener does; set it on an http.Server of your own), and
// otherwise serves without write deadlines (stalled clients are not cut
// off), which is logged once for its type; one that can neither flush
// nor be looked through is refused with 501 (ReasonNoFlush), logged once.

// EventsHandler returns the events endpoint as an http.Handler: it serves
// every request it is given as an events request, whatever the path it is
// mounted on (EventsPath is the path on the server's own listener).
func (s *Server) EventsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rn := s.runningOr503(w); rn != nil {
			rn.endpoint.ServeHTTP(w, r)
		}
	})
}

// RPCHandler returns the RPC endpoints of the handler structs mounted with
// Handle as an http.Handler: the last segment of the request's path names
// the endpoint ("/anything/Greeter.Stream"), so it may be mounted under
// any prefix.
func (s *Server) RPCHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rn := s.runningOr503(w); rn != nil {
			s.serveRPC(rn, w, r)
		}
	})
}

// HTTPHandler returns what the server's own listener serves, as an
// http.Handler: the events path, the RPC endpoints under RPCPath and the
// http.Handler mounted with Handle for the rest.
func (s *Server) HTTPHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rn := s.runningOr503(w); rn != nil {
			s.serveHTTP(rn).ServeHTTP(w, r)
		}
	})
}

// runningOr503 returns the run of a started server, or answers 503.
func (s *Server) runningOr503(w http.ResponseWriter) *run {
	if rn := s.current(); rn != nil {
		return rn
	}
	e := &endpoint{cfg: configFrom(s.Options().Context)}
	w.Header().Set("Retry-After", e.retryAfter())
	http.Error(w, strings.TrimPrefix(ErrNotRunning.Error(), "sse server: ")+": come back later", http.StatusServiceUnavailable)
	return nil
}
