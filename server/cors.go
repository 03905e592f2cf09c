package server

import (
	"net/http"
	"slices"
)

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
	if slices.Contains(e.cfg.AllowedOrigins, "*") {
		if e.cfg.AllowCredentials {
			return origin // credentials forbid "*": echo the origin
		}
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
// headers for an allowed origin, 403 for a preflight from another origin,
// 204 with Allow for a plain OPTIONS.
func (e *endpoint) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Allow", "GET, OPTIONS")
	isPreflight := r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
	if !isPreflight {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !e.setCORS(h, r) {
		e.refuse(w, r, http.StatusForbidden, ReasonOrigin, "origin not allowed")
		return
	}
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	} else {
		h.Set("Access-Control-Allow-Headers", "Last-Event-ID, Cache-Control")
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
