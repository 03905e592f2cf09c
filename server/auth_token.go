package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"go-micro.dev/v4/auth"
)

// Where a request's token comes from, first found wins:
//
//  1. the Authorization header, "Bearer <token>" (go-micro's
//     auth.BearerScheme): what fetch, curl and go-micro clients send;
//  2. the cookie AuthCookie (default "access_token"): what a browser's
//     EventSource sends to its own origin (or cross-origin with
//     withCredentials and AllowCredentials);
//  3. the query parameter AuthQueryParam (default "access_token", RFC 6750
//     section 2.3): for EventSource across origins without cookies, since
//     EventSource cannot set headers. A token in the URL ends up in access
//     logs, proxy logs and browser history: prefer the cookie, keep such
//     tokens short-lived, or set AuthQueryParam("") to refuse them.
//
// The token is inspected with the Auth's Inspect (a token that does not
// inspect, or expired: 401), the account is verified with auth.Verify for
// each resource (refused: 403, or 401 when there was no token), and the
// account is put in the request's context (auth.ContextWithAccount), where
// the Authorize, OnSubscribe and OnUnsubscribe hooks and RPC handlers find
// it with auth.AccountFromContext.

// token returns the request's token, or "".
func (a *authConfig) token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > len(auth.BearerScheme) && strings.EqualFold(h[:len(auth.BearerScheme)], auth.BearerScheme) {
		return strings.TrimSpace(h[len(auth.BearerScheme):])
	}
	if a.cookie != "" {
		if c, err := r.Cookie(a.cookie); err == nil && c.Value != "" {
			return c.Value
		}
	}
	if a.queryParam != "" {
		if v := r.URL.Query().Get(a.queryParam); v != "" {
			return v
		}
	}
	return ""
}

// authenticate inspects the request's token. Without a token the account
// is nil (the rules may allow the public); a token that does not inspect
// or has expired is refused with 401.
func (a *authConfig) authenticate(r *http.Request) (acc *auth.Account, expiry time.Time, status int, reason string) {
	tok := a.token(r)
	if tok == "" {
		return nil, time.Time{}, 0, ""
	}
	acc, err := a.auth.Inspect(tok)
	if err != nil || acc == nil {
		return nil, time.Time{}, http.StatusUnauthorized, fmt.Sprintf("%v: invalid or expired token", ErrUnauthorized)
	}
	expiry = a.expiry(tok, acc)
	if !expiry.IsZero() && !time.Now().Before(expiry) {
		return nil, time.Time{}, http.StatusUnauthorized, fmt.Sprintf("%v: token expired", ErrUnauthorized)
	}
	return acc, expiry, 0, ""
}

// anyAccount is the rule used without AuthRules: any valid account may
// access anything.
var anyAccount = []*auth.Rule{{
	ID:       "sse-any-account",
	Resource: &auth.Resource{Type: "*", Name: "*", Endpoint: "*"},
	Scope:    auth.ScopeAccount,
	Access:   auth.AccessGranted,
}}

// verify checks with auth.Verify that acc (nil: no token) may access res:
// 0 when it may, else 401 (no token) or 403 and the reason; 503 when the
// rules cannot be listed.
func (a *authConfig) verify(acc *auth.Account, res *auth.Resource) (status int, reason string) {
	rules := a.rules
	if a.rulesFrom != nil {
		var err error
		if rules, err = a.rulesFrom.List(); err != nil {
			return http.StatusServiceUnavailable, fmt.Sprintf("auth rules unavailable: %v", err)
		}
	} else if len(rules) == 0 {
		rules = anyAccount
	}
	if err := auth.Verify(rules, acc, res); err == nil {
		return 0, ""
	}
	if acc == nil {
		return http.StatusUnauthorized, fmt.Sprintf("%v: %s %q needs a token", ErrUnauthorized, res.Type, resourceName(res))
	}
	return http.StatusForbidden, fmt.Sprintf("%v: account %q may not access %s %q", ErrForbidden, acc.ID, res.Type, resourceName(res))
}

// resourceName is what a refusal names: the topic, or the endpoint.
func resourceName(res *auth.Resource) string {
	if res.Type == "topic" {
		return res.Name
	}
	return res.Endpoint
}

// topicResource is the auth resource of a topic on the events endpoint.
func topicResource(topic, path string) *auth.Resource {
	return &auth.Resource{Type: "topic", Name: topic, Endpoint: path}
}

// endpointResource is the auth resource of an RPC endpoint of service.
func endpointResource(service, endpoint string) *auth.Resource {
	return &auth.Resource{Type: "service", Name: service, Endpoint: endpoint}
}
