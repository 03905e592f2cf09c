package server

import (
	"context"
	"time"

	"go-micro.dev/v4/auth"
	"go-micro.dev/v4/server"
)

// go-micro auth options. go-micro v4.11.0 gives a server no auth:
// micro.Auth(a) sets only the service's own Options().Auth, and
// server.Options has no Auth field, so the rpc server checks nothing
// either. A server without the Auth option takes the service's auth at
// Start from go-micro's command line once svc.Init() ran (micro.Auth(a),
// or --auth=jwt and the --auth_* flags; go-micro's noop auth is never
// taken). Otherwise give the server the auth with Auth (and
// the rules with AuthRules or AuthRulesFrom in either case), e.g.
// micro.NewService(micro.Server(sse.NewServer(sse.Auth(a))), micro.Auth(a), ...),
// or, after NewService, srv.Init(sse.Auth(svc.Options().Auth)).

// The keys of the auth options in server.Options.Context.
type (
	authKey           struct{}
	authRulesKey      struct{}
	authRulesFromKey  struct{}
	authCookieKey     struct{}
	authQueryParamKey struct{}
	authExpiryKey     struct{}
)

// Auth makes the server authenticate every events stream and RPC call with
// a (go-micro's auth.Auth, e.g. the jwt plugin): the token is inspected,
// each topic and endpoint verified against the rules (AuthRules), and a
// stream ended when its token expires. The token is read from the
// Authorization header (Bearer), else the AuthCookie cookie, else the
// AuthQueryParam query parameter; a request without a valid one is
// answered 401, one whose account the rules refuse 403.
func Auth(a auth.Auth) server.Option { return setOption(authKey{}, a) }

// AuthRules sets the rules that auth.Verify checks each resource against:
// a topic is the resource {Type: "topic", Name: topic, Endpoint: events
// path}, an RPC endpoint {Type: "service", Name: the server's name,
// Endpoint: "Service.Method"}. Without rules (neither AuthRules nor
// AuthRulesFrom) any valid account may follow any topic and call any
// endpoint, and a request without a token is refused.
func AuthRules(rules ...*auth.Rule) server.Option {
	return setOption(authRulesKey{}, append([]*auth.Rule(nil), rules...))
}

// AuthRulesFrom reads the rules from r (its List) at every request, so
// rules granted or revoked later apply to new requests.
func AuthRulesFrom(r auth.Rules) server.Option { return setOption(authRulesFromKey{}, r) }

// AuthCookie sets the cookie a token is read from (default
// DefaultAuthCookie); "" reads no cookie.
func AuthCookie(name string) server.Option { return setOption(authCookieKey{}, name) }

// AuthQueryParam sets the query parameter a token is read from (default
// DefaultAuthQueryParam); "" reads none.
func AuthQueryParam(name string) server.Option { return setOption(authQueryParamKey{}, name) }

// ExpiryFunc returns when the token an account was inspected from
// expires; the zero time means never.
type ExpiryFunc func(token string, acc *auth.Account) time.Time

// AuthExpiry sets how a token's expiry is found (default JWTExpiry: the
// "exp" claim of a JWT, as the jwt plugin issues). A stream is ended when
// its token expires.
func AuthExpiry(fn ExpiryFunc) server.Option { return setOption(authExpiryKey{}, fn) }

// authConfig is the go-micro auth of a server; nil without the Auth option.
type authConfig struct {
	auth       auth.Auth
	rules      []*auth.Rule
	rulesFrom  auth.Rules
	cookie     string
	queryParam string
	expiry     ExpiryFunc
}

// authConfigFrom reads the auth options from ctx; nil without Auth.
func authConfigFrom(ctx context.Context) *authConfig {
	a, _ := ctx.Value(authKey{}).(auth.Auth)
	if a == nil {
		return nil
	}
	c := &authConfig{auth: a, cookie: DefaultAuthCookie, queryParam: DefaultAuthQueryParam, expiry: JWTExpiry}
	c.rules, _ = ctx.Value(authRulesKey{}).([]*auth.Rule)
	c.rulesFrom, _ = ctx.Value(authRulesFromKey{}).(auth.Rules)
	if v, ok := ctx.Value(authCookieKey{}).(string); ok {
		c.cookie = v
	}
	if v, ok := ctx.Value(authQueryParamKey{}).(string); ok {
		c.queryParam = v
	}
	if v, ok := ctx.Value(authExpiryKey{}).(ExpiryFunc); ok && v != nil {
		c.expiry = v
	}
	return c
}
