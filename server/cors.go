package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// CORS, as the Fetch standard has it. A GET from an allowed origin gets
// Access-Control-Allow-Origin (and Access-Control-Allow-Credentials with
// AllowCredentials); every answer of a server with AllowedOrigins varies on
// Origin. A preflight (OPTIONS with Origin and
// Access-Control-Request-Method) is answered 204 with the allowed origin,
// methods and headers when the origin is allowed, the method is GET and
// every requested header is one of AllowedHeaders (compared without case);
// otherwise 403 without CORS headers, so the browser refuses the request.
// "*" with AllowCredentials is refused by Init and Start
// (ErrWildcardCredentials): any site could read a user's
// cookie-authenticated streams. Even if it got through, "*" never echoes
// an origin with credentials.

// corsMaxAge is how long, in seconds, a browser may cache a preflight.
const corsMaxAge = "600"

// checkCORS refuses a configuration that would let any origin read
// credentialed streams.
func (c *config) checkCORS() error {
	if c.AllowCredentials && slices.Contains(c.AllowedOrigins, "*") {
		return fmt.Errorf("%w: AllowedOrigins(\"*\") with AllowCredentials", ErrWildcardCredentials)
	}
	return nil
}

// corsOrigin returns the value of Access-Control-Allow-Origin for the
// request's Origin, or "" when the request is not cross-origin or its
// origin is not allowed.
func (e *endpoint) corsOrigin(r *http.Request) string {
	origin := r.Header.Get("Origin")
	if origin == "" || len(e.cfg.AllowedOrigins) == 0 {
		return ""
	}
	if slices.Contains(e.cfg.AllowedOrigins, origin) {
		return origin
	}
	if slices.Contains(e.cfg.AllowedOrigins, "*") && !e.cfg.AllowCredentials {
		return "*"
	}
	return ""
}

// setCORS sets the CORS headers of a response to an allowed origin and
// reports whether the origin is allowed.
func (e *endpoint) setCORS(h http.Header, r *http.Request) bool {
	if len(e.cfg.AllowedOrigins) > 0 {
		h.Add("Vary", "Origin")
	}
	allow := e.corsOrigin(r)
	if allow == "" {
		return false
	}
	h.Set("Access-Control-Allow-Origin", allow)
	if e.cfg.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	return true
}

// preflight answers an OPTIONS request: 204 with the CORS preflight
// headers for an allowed origin asking for GET and allowed headers, 403 for
// any other preflight, 204 with Allow for a plain OPTIONS.
func (e *endpoint) preflight(w http.ResponseWriter, r *http.Request) {
	method, ok := e.preflightOrigin(w, r, "GET, OPTIONS")
	if !ok {
		return
	}
	requested, ok := e.allowedHeaders(r)
	if method != http.MethodGet || !ok {
		e.refusePreflight(w, r, "method or headers not allowed: GET with "+strings.Join(e.cfg.AllowedHeaders, ", "))
		return
	}
	grantPreflight(w, "GET", requested)
}

// preflightOrigin begins the answer to an OPTIONS request, with allow as
// its Allow header: it answers a plain OPTIONS (no Origin or no
// Access-Control-Request-Method: 204) and a preflight from an origin not
// allowed (403), and otherwise sets the origin's CORS headers and returns
// the requested method and true, for the caller to go on.
func (e *endpoint) preflightOrigin(w http.ResponseWriter, r *http.Request, allow string) (method string, goOn bool) {
	h := w.Header()
	h.Set("Allow", allow)
	method = r.Header.Get("Access-Control-Request-Method")
	if r.Header.Get("Origin") == "" || method == "" {
		w.WriteHeader(http.StatusNoContent)
		return "", false
	}
	if len(e.cfg.AllowedOrigins) > 0 {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if !e.setCORS(h, r) {
		e.refuse(w, r, &refusal{status: http.StatusForbidden, reason: ReasonOrigin, text: "origin not allowed"})
		return "", false
	}
	return method, true
}

// refusePreflight answers a preflight from an allowed origin that asks for
// a method or headers not allowed: 403 with reason, without the origin's
// CORS headers.
func (e *endpoint) refusePreflight(w http.ResponseWriter, r *http.Request, reason string) {
	h := w.Header()
	h.Del("Access-Control-Allow-Origin")
	h.Del("Access-Control-Allow-Credentials")
	e.refuse(w, r, &refusal{status: http.StatusForbidden, reason: ReasonOrigin, text: reason})
}

// grantPreflight answers an allowed preflight: 204 with the methods, the
// requested headers and how long the browser may cache the answer.
func grantPreflight(w http.ResponseWriter, methods string, requested []string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", methods)
	if len(requested) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	}
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
}

// allowedHeaders splits the Access-Control-Request-Headers of r into
// names and reports whether each is one of AllowedHeaders or of extra.
func (e *endpoint) allowedHeaders(r *http.Request, extra ...string) (names []string, ok bool) {
	allowed := func(name string) bool {
		eq := func(a string) bool { return strings.EqualFold(a, name) }
		return slices.ContainsFunc(e.cfg.AllowedHeaders, eq) || slices.ContainsFunc(extra, eq)
	}
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !allowed(name) {
				return nil, false
			}
			names = append(names, name)
		}
	}
	return names, true
}
