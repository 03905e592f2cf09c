package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-micro/plugins/v4/auth/jwt"
	"go-micro.dev/v4"
	"go-micro.dev/v4/auth"
	merrors "go-micro.dev/v4/errors"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

var jwtKeys = sync.OnceValues(func() (pub, priv string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		panic(err)
	}
	pub = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	priv = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	return pub, priv
})

// newJWTAuth is go-micro's jwt auth plugin with a fresh key pair and rules:
// topic "news" for scope "reader", topic "admin" for scope "admin", the
// endpoint Greeter.Call for any account, Greeter.Stream for scope "reader".
func newJWTAuth(t *testing.T) (auth.Auth, auth.Rules) {
	t.Helper()
	pub, priv := jwtKeys()
	a := jwt.NewAuth(auth.PublicKey(pub), auth.PrivateKey(priv), auth.Namespace("test"))
	rules := jwt.NewRules()
	for _, r := range []*auth.Rule{
		{ID: "news", Scope: "reader", Resource: &auth.Resource{Type: "topic", Name: "news", Endpoint: "*"}},
		{ID: "admin", Scope: "admin", Resource: &auth.Resource{Type: "topic", Name: "admin", Endpoint: "*"}},
		{ID: "public", Scope: auth.ScopePublic, Resource: &auth.Resource{Type: "topic", Name: "public", Endpoint: "*"}},
		{ID: "call", Scope: auth.ScopeAccount, Resource: &auth.Resource{Type: "service", Name: "authed", Endpoint: "Greeter.Call"}},
		{ID: "stream", Scope: "reader", Resource: &auth.Resource{Type: "service", Name: "authed", Endpoint: "Greeter.Stream"}},
	} {
		if err := rules.Grant(r); err != nil {
			t.Fatal(err)
		}
	}
	return a, rules
}

// token generates an account with scopes and an access token for it that
// expires after expiry.
func token(t *testing.T, a auth.Auth, id string, expiry time.Duration, scopes ...string) string {
	t.Helper()
	acc, err := a.Generate(id, auth.WithScopes(scopes...))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	tok, err := a.Token(auth.WithCredentials(acc.ID, acc.Secret), auth.WithExpiry(expiry))
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok.AccessToken
}

// openBeforeExpiry opens the stream of url(token) with a fresh token that
// expires in a few seconds; on a machine so slow that the token expired
// before the stream opened (401), it tries again with a new one.
func openBeforeExpiry(t *testing.T, a auth.Auth, id string, url func(tok string) string) (*ssetest.Stream, string) {
	t.Helper()
	for range 5 {
		tok := token(t, a, id, 3*time.Second, "reader")
		st, err := ssetest.Open(context.Background(), nil, url(tok), "")
		var se *ssetest.StatusError
		if errors.As(err, &se) && se.Code == http.StatusUnauthorized {
			continue
		}
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(st.Close)
		return st, tok
	}
	t.Fatal("every short-lived token expired before its stream opened")
	return nil, ""
}

// authed is a request of the events endpoint or an RPC endpoint with the
// token where the case puts it.
type authed struct {
	header, cookie, query string
}

func (c authed) get(t *testing.T, rawURL string) (int, string, http.Header) {
	t.Helper()
	if c.query != "" {
		rawURL += "&access_token=" + url.QueryEscape(c.query)
	}
	req, _ := http.NewRequest("GET", rawURL, nil)
	if c.header != "" {
		req.Header.Set("Authorization", "Bearer "+c.header)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sse.DefaultAuthCookie, Value: c.cookie})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return 200, "", resp.Header // a stream: opened is enough
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAuthJWTTopicsAndTokenSources(t *testing.T) {
	a, rules := newJWTAuth(t)
	var mu sync.Mutex
	var hookAccounts []string
	srv := newServer(sse.Auth(a), sse.AuthRulesFrom(rules),
		sse.Authorize(func(r *http.Request, topics []string) error {
			acc, _ := auth.AccountFromContext(r.Context())
			mu.Lock()
			defer mu.Unlock()
			if acc == nil {
				hookAccounts = append(hookAccounts, "<none>")
			} else {
				hookAccounts = append(hookAccounts, acc.ID)
			}
			if acc != nil && acc.ID == "mallory" {
				return fmt.Errorf("%w: mallory is banned by the hook", sse.ErrForbidden)
			}
			return nil
		}))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "authed", Broker: ssebroker.NewBroker(),
		Extra: []micro.Option{micro.Auth(a)}})
	alice := token(t, a, "alice", time.Hour, "reader")
	admin := token(t, a, "root", time.Hour, "reader", "admin")
	mallory := token(t, a, "mallory", time.Hour, "reader")
	expired := token(t, a, "old", -time.Minute, "reader")
	events := func(topics ...string) string { return ssetest.EventsURL(svc.URL("/events"), topics...) }

	for _, c := range []struct {
		name   string
		req    authed
		topics []string
		code   int
		reason string
	}{
		{"header", authed{header: alice}, []string{"news"}, 200, ""},
		{"cookie", authed{cookie: alice}, []string{"news"}, 200, ""},
		{"query", authed{query: alice}, []string{"news"}, 200, ""},
		{"header wins over a bad cookie and query", authed{header: alice, cookie: "bad", query: "bad"}, []string{"news"}, 200, ""},
		{"a bad header wins over a good cookie", authed{header: "bad", cookie: alice}, []string{"news"}, 401, "invalid or expired token"},
		{"cookie wins over query", authed{cookie: "bad", query: alice}, []string{"news"}, 401, "invalid or expired token"},
		{"topic the rules refuse", authed{header: alice}, []string{"admin", "news"}, 403, `account "alice" may not access topic "admin"`},
		{"admin scope", authed{header: admin}, []string{"admin", "news"}, 200, ""},
		{"no token", authed{}, []string{"news"}, 401, `topic "news" needs a token`},
		{"public topic without token", authed{}, []string{"public"}, 200, ""},
		{"expired token", authed{header: expired}, []string{"news"}, 401, "invalid or expired token"},
		{"garbage", authed{header: "x.y.z"}, []string{"news"}, 401, "invalid or expired token"},
		{"the Authorize hook still decides", authed{header: mallory}, []string{"news"}, 403, "banned by the hook"},
	} {
		code, body, _ := c.req.get(t, events(c.topics...))
		if code != c.code || !strings.Contains(body, c.reason) {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, body, c.code, c.reason)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// The hook ran after go-micro auth, only for what auth let through,
	// with the account in the request's context.
	want := "[alice alice alice alice root <none> mallory]"
	if fmt.Sprint(hookAccounts) != want {
		t.Fatalf("Authorize saw %v, want %s", hookAccounts, want)
	}
	if st := srv.Stats().Endpoint.Refused; st[sse.ReasonUnauthorized] != 5 || st[sse.ReasonForbidden] != 2 {
		t.Fatalf("refused %v", st)
	}
}

func TestAuthJWTStreamEndsWhenTokenExpires(t *testing.T) {
	for _, m := range []struct {
		name string
		opts []server.Option
	}{{"shared", nil}, {"goroutine", []server.Option{sse.GoroutinePerStream()}}} {
		t.Run(m.name, func(t *testing.T) {
			a, rules := newJWTAuth(t)
			var unsub sync.WaitGroup
			unsub.Add(1)
			opts := append([]server.Option{sse.Auth(a), sse.AuthRulesFrom(rules), sse.Retry(50 * time.Millisecond),
				sse.OnUnsubscribe(func(r *http.Request, topics []string) {
					if acc, ok := auth.AccountFromContext(r.Context()); !ok || acc.ID != "brief" {
						t.Errorf("OnUnsubscribe account = %v", acc)
					}
					unsub.Done()
				})}, m.opts...)
			srv := newServer(opts...)
			ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "authed", Broker: ssebroker.NewBroker()})
			var u string
			st, tok := openBeforeExpiry(t, a, "brief", func(tok string) string {
				u = ssetest.EventsURL("http://"+srv.Options().Address+"/events", "news") + "&access_token=" + tok
				return u
			})
			exp := sse.JWTExpiry(tok, nil)
			if exp.IsZero() || time.Until(exp) > 3*time.Second {
				t.Fatalf("JWTExpiry = %v", exp)
			}
			if err := srv.PublishData(context.Background(), "news", map[string]int{"n": 1}); err != nil {
				t.Fatal(err)
			}
			first := st.Next(t)
			if string(first.Data) != `{"n":1}` {
				t.Fatalf("event %+v", first)
			}
			ev := st.Next(t) // the expiry event, when the token expires
			var me merrors.Error
			if ev.Event != sse.EventError || ev.ID != first.ID || json.Unmarshal(ev.Data, &me) != nil || me.Code != 401 || me.Detail != "token expired" {
				t.Fatalf("expiry event %+v (data %q)", ev, ev.Data)
			}
			if time.Now().Before(exp) {
				t.Fatalf("ended before the token's expiry %v", exp)
			}
			if err := st.WaitEnd(t); !ssetest.IsEnd(err) {
				t.Fatalf("end: %v", err)
			}
			unsub.Wait()
			if e := srv.Stats().Endpoint; e.AuthExpired != 1 || e.ClientGone != 0 || e.WriteFailed != 0 {
				t.Fatalf("ended by expiry: AuthExpired %d, ClientGone %d, WriteFailed %d; want 1, 0, 0", e.AuthExpired, e.ClientGone, e.WriteFailed)
			}
			// EventSource's one reconnect with the same token: 401, it stops.
			_, err := ssetest.Open(context.Background(), nil, u, first.ID)
			var se *ssetest.StatusError
			if !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
				t.Fatalf("reconnect with the expired token: %v, want 401", err)
			}
		})
	}
}

// accountGreeter answers with the account the handler sees.
type accountGreeter struct{ greeter }

func (g *accountGreeter) Call(ctx context.Context, req *Request, rsp *Response) error {
	acc, ok := auth.AccountFromContext(ctx)
	if !ok {
		return merrors.InternalServerError("authed", "no account in the context")
	}
	rsp.Msg = "hello " + acc.ID
	return nil
}

func TestAuthJWTRPCEndpoints(t *testing.T) {
	a, rules := newJWTAuth(t)
	srv := newServer(sse.Auth(a), sse.AuthRulesFrom(rules))
	if err := RegisterGreeterHandler(srv, &accountGreeter{}); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "authed", Broker: ssebroker.NewBroker()})
	writer := token(t, a, "wri", time.Hour, "writer")
	reader := token(t, a, "rea", time.Hour, "reader")

	code, body, _ := authed{header: writer}.get(t, svc.URL("/rpc/Greeter.Call?name=x"))
	if code != 200 || body != `{"msg":"hello wri"}` {
		t.Fatalf("Call with an account: %d %q", code, body)
	}
	var me merrors.Error
	code, body, _ = authed{}.get(t, svc.URL("/rpc/Greeter.Call?name=x"))
	if code != 401 || json.Unmarshal([]byte(body), &me) != nil || me.Code != 401 {
		t.Fatalf("Call without a token: %d %q", code, body)
	}
	code, body, _ = authed{header: writer}.get(t, svc.URL("/rpc/Greeter.Stream?count=1"))
	if code != 403 || json.Unmarshal([]byte(body), &me) != nil || me.Code != 403 || !strings.Contains(me.Detail, "Greeter.Stream") {
		t.Fatalf("Stream without the scope: %d %q", code, body)
	}

	// A stream with the scope: its events, then the end.
	st := ssetest.OpenT(t, svc.URL("/rpc/Greeter.Stream?name=r&count=1&access_token="+reader), "")
	if ev := st.Next(t); ev.ID != "1" {
		t.Fatalf("event %+v", ev)
	}
	if ev := st.Next(t); ev.Event != sse.EventEnd {
		t.Fatalf("end %+v", ev)
	}
	// A stream whose token expires: its events, then the expiry.
	blocking := &blocker{started: make(chan struct{}), ended: make(chan error, 1)}
	if err := srv.Handle(srv.NewHandler(blocking)); err != nil {
		t.Fatal(err)
	}
	if err := rules.Grant(&auth.Rule{ID: "wait", Scope: "reader", Resource: &auth.Resource{Type: "service", Name: "authed", Endpoint: "blocker.Wait"}}); err != nil {
		t.Fatal(err)
	}
	bs, _ := openBeforeExpiry(t, a, "rea", func(tok string) string { return svc.URL("/rpc/blocker.Wait?access_token=" + tok) })
	if ev := bs.Next(t); ev.ID != "1" {
		t.Fatalf("event %+v", ev)
	}
	ev := bs.Next(t)
	// No id field: the browser's Last-Event-ID stays the last event's.
	if ev.Event != sse.EventError || ev.ID != "1" || json.Unmarshal(ev.Data, &me) != nil || me.Code != 401 {
		t.Fatalf("expiry of an RPC stream: %+v (data %q)", ev, ev.Data)
	}
	if err := ssetest.Recv(t, blocking.ended, "handler end"); !errors.Is(err, context.Canceled) {
		t.Fatalf("handler context at expiry: %v", err)
	}
	if err := bs.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("end: %v", err)
	}
}
