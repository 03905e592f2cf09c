package sharedtabs

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// readmeNginx returns the nginx configuration of the README's section
// "Behind a reverse proxy", made to listen where the test's nginx does and
// to proxy to backend.
func readmeNginx(t *testing.T, backend string) string {
	t.Helper()
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Behind a reverse proxy\n.*?```nginx\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README: no nginx configuration in the section Behind a reverse proxy")
	}
	conf := string(m[1])
	for old, new := range map[string]string{"server 127.0.0.1:8080;": "server " + backend + ";", "listen 80;": "listen " + ssetest.NginxListen + ";"} {
		if !strings.Contains(conf, old) {
			t.Fatalf("README's nginx configuration has no %q", old)
		}
		conf = strings.ReplaceAll(conf, old, new)
	}
	return conf
}

// TestRestartBehindNginx: behind nginx with the README's configuration,
// the server stops for longer than its retry and starts again: pages with
// SharedEventSource (two tabs) and with a plain EventSource are all live
// again. Without the error_page lines, the plain page is closed for good
// by nginx's 502 and SharedEventSource still comes back.
func TestRestartBehindNginx(t *testing.T) {
	for _, c := range []struct {
		name       string
		errorPage  bool
		plainLives bool
	}{
		{"README configuration", true, true},
		{"without error_page", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := []server.Option{sse.Retry(300 * time.Millisecond), sse.ShutdownJitter(200 * time.Millisecond)}
			n := startNode(t, opts...)
			addr := n.svc.Addr()
			conf := readmeNginx(t, addr)
			if !c.errorPage {
				conf = regexp.MustCompile(`\n\s*error_page [^\n]*`).ReplaceAllString(conf, "")
			}
			proxy := "http://" + ssetest.Nginx(t, conf)
			page := func(params ...string) string {
				return strings.Replace(n.pageURL("/events?stream=news", params...), "http://"+addr, proxy, 1)
			}
			profile := browsertest.Shared(t).NewProfile(t)
			pages := openTabs(t, profile, page(), 2)
			plain := openTabs(t, browsertest.Shared(t).NewProfile(t), page("plain", "1"), 1)[0]
			pages = append(pages, plain)
			n.publish(t, "news", 1, 3)
			checkGot(t, pages, want(1, 3))

			if err := n.svc.Stop(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second) // down for longer than the retry: nginx answers in its place
			n = startNodeAt(t, addr, opts...)
			for i := 0; i < 200 && n.srv.Stats().Endpoint.Open < 2; i++ {
				time.Sleep(50 * time.Millisecond)
			}
			next := 4
			for i, p := range pages {
				want := `got.length >= 4`
				if p == plain && !c.plainLives {
					var state int
					p.Eval(`es.readyState`, &state)
					if state != 2 {
						t.Errorf("the plain page without error_page: readyState %d, want 2 (closed for good)", state)
					}
					continue
				}
				for tries := 0; tries < 400; tries++ { // publish until the page is back (its retry, nginx's)
					n.publish(t, "news", next, next)
					next++
					var ok bool
					if p.Eval(want, &ok); ok {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				p.WaitFor(want, `({got, state: es.readyState})`)
				t.Logf("page %d is live again", i)
			}
		})
	}
}
