package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-micro/plugins/v4/auth/jwt"
	"go-micro.dev/v4"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestAuthFromService: a server without the Auth option takes the
// service's auth, micro.Auth(a) or the --auth=jwt flags, once svc.Init()
// ran (go-micro's command line then holds the service's auth), and
// authenticates with it; go-micro's noop default auth never turns
// authentication on, without svc.Init() micro.Auth cannot be seen, and the
// server's own Auth option is kept.
func TestAuthFromService(t *testing.T) {
	a, rules := newJWTAuth(t)
	pub, priv := jwtKeys()
	alice := token(t, a, "alice", time.Hour, "reader")
	jwtFlags := []string{"wired", "--auth=jwt", "--auth_public_key=" + pub, "--auth_private_key=" + priv, "--auth_namespace=test"}
	cases := []struct {
		name      string
		microAuth bool     // micro.Auth(a) in code
		args      []string // os.Args of svc.Init(); nil: no svc.Init()
		authed    bool     // the server authenticates
		own       bool     // the server has sse.Auth of its own: a jwt auth without keys
	}{
		{"micro.Auth and svc.Init", true, []string{"wired"}, true, false},
		{"--auth=jwt flags and svc.Init", false, jwtFlags, true, false},
		{"no auth given, svc.Init", false, []string{"wired"}, false, false},
		{"micro.Auth without svc.Init", true, nil, false, false},
		{"sse.Auth wins over micro.Auth", true, []string{"wired"}, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			freshGoMicroDefaults(t)
			log := ssetest.NewLog()
			srvOpts := []server.Option{server.Name("wired"), server.Address("127.0.0.1:0"), server.WithLogger(log), sse.AuthRulesFrom(rules)}
			if c.own {
				srvOpts = append(srvOpts, sse.Auth(jwt.NewAuth())) // no keys: no token is valid
			}
			srv := sse.NewServer(srvOpts...)
			opts := []micro.Option{micro.Server(srv), micro.Client(client.NewClient()),
				micro.Broker(ssebroker.NewBroker()), micro.Registry(registry.NewMemoryRegistry())}
			if c.microAuth {
				opts = append(opts, micro.Auth(a))
			}
			var init func(micro.Service)
			if c.args != nil {
				init = func(svc micro.Service) { withArgs(c.args, func() { svc.Init() }) }
			}
			runService(t, init, opts...)
			events := func(topics ...string) string {
				return ssetest.EventsURL("http://"+srv.Options().Address+"/events", topics...)
			}

			code, body, _ := authed{}.get(t, events("news"))
			if !c.authed {
				if code != 200 {
					t.Fatalf("without a real service auth a stream needs no token: %d %q", code, body)
				}
				if lines := log.Lines("authenticating"); len(lines) != 0 {
					t.Fatalf("no auth should be logged; log:\n%s", strings.Join(lines, "\n"))
				}
				return
			}
			if code != 401 || !strings.Contains(body, `topic "news" needs a token`) {
				t.Fatalf("no token: %d %q, want 401", code, body)
			}
			if c.own {
				if code, body, _ := (authed{header: alice}).get(t, events("news")); code != 401 {
					t.Fatalf("the server's own auth should refuse alice's token: %d %q", code, body)
				}
				if lines := log.Lines("authenticating"); len(lines) != 0 {
					t.Fatalf("the server kept its own auth, nothing to log; log:\n%s", strings.Join(lines, "\n"))
				}
				return
			}
			if code, body, _ := (authed{header: alice}).get(t, events("news")); code != 200 {
				t.Fatalf("alice on news: %d %q, want 200", code, body)
			}
			if code, body, _ := (authed{header: alice}).get(t, events("admin")); code != 403 {
				t.Fatalf("alice on admin: %d %q, want 403", code, body)
			}
			if lines := log.Lines("info", "authenticating with the service's auth jwt"); len(lines) != 1 {
				t.Fatalf("Start should log the auth it took; log:\n%s", strings.Join(log.Lines(), "\n"))
			}
		})
	}
}
