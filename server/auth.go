package server

import (
	"errors"
	"net/http"
)

// Errors an Authorize hook wraps to refuse a request; the wrapping error's
// text is the reason sent to the client.
var (
	// ErrUnauthorized refuses with 401: the request carries no valid
	// credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden refuses with 403: the credentials do not allow these
	// topics.
	ErrForbidden = errors.New("forbidden")
)

// authorize runs the Authorize hook, if any. It returns 0 when the request
// may proceed, else the status (401 or 403) and the reason to send. A hook
// that panics refuses (403): authorization fails closed.
func (e *endpoint) authorize(r *http.Request, topics []string) (status int, reason string) {
	if e.cfg.Authorize == nil {
		return 0, ""
	}
	var err error
	if !e.callHook("Authorize", topics, func() { err = e.cfg.Authorize(r, topics) }) {
		return http.StatusForbidden, "authorization failed"
	}
	switch {
	case err == nil:
		return 0, ""
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, err.Error()
	default: // ErrForbidden and any other error: refuse, never 500
		return http.StatusForbidden, err.Error()
	}
}
