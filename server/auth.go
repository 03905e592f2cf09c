package server

import (
	"errors"
	"net/http"
	"time"

	"go-micro.dev/v4/auth"
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

// authorize decides whether an events request may follow topics: first
// go-micro auth (the Auth option: the token inspected, each topic verified
// as a resource, see auth_token.go), then the Authorize hook, which sees
// the account in the request's context. It returns the request to go on
// with (its context carrying the account), when the token expires (zero:
// never or no auth), and 0, or the status (401, 403; 503 when the rules
// cannot be read) and the reason to send. A hook that panics refuses
// (403): authorization fails closed.
func (e *endpoint) authorize(r *http.Request, topics []string) (_ *http.Request, expiry time.Time, status int, reason string) {
	if a := e.cfg.auth; a != nil {
		acc, exp, status, reason := a.authenticate(r)
		if status != 0 {
			return r, time.Time{}, status, reason
		}
		for _, t := range topics {
			if status, reason := a.verify(acc, topicResource(t, e.cfg.Path)); status != 0 {
				return r, time.Time{}, status, reason
			}
		}
		if acc != nil {
			r = r.WithContext(auth.ContextWithAccount(r.Context(), acc))
		}
		expiry = exp
	}
	if e.cfg.Authorize == nil {
		return r, expiry, 0, ""
	}
	var err error
	if !e.callHook("Authorize", topics, func() { err = e.cfg.Authorize(r, topics) }) {
		return r, time.Time{}, http.StatusForbidden, "authorization failed"
	}
	switch {
	case err == nil:
		return r, expiry, 0, ""
	case errors.Is(err, ErrUnauthorized):
		return r, time.Time{}, http.StatusUnauthorized, err.Error()
	default: // ErrForbidden and any other error: refuse, never 500
		return r, time.Time{}, http.StatusForbidden, err.Error()
	}
}

// authReason is the refusal reason counted for an auth status.
func authReason(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return ReasonUnauthorized
	case http.StatusServiceUnavailable:
		return ReasonUnavailable
	}
	return ReasonForbidden
}
