package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// nginxDocumented is the README's nginx configuration for a server behind
// it (inside `location`).
const nginxDocumented = `
		proxy_http_version 1.1;
		proxy_set_header Connection "";
		proxy_set_header X-Real-IP $remote_addr;
		proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
		proxy_read_timeout 1h;
`

// TestClientAddressThroughNginx: behind Debian's nginx, a client that
// forges a different address on every request (X-Forwarded-For, and with
// the documented configuration X-Real-IP too) opens no more than
// MaxConnectionsPerClient streams, and the stream log names the client,
// not the proxy. With nginx's default proxy configuration (which passes
// the client's own X-Forwarded-For through) ForwardedFor would believe
// the forged header; ProxyHeader does not read it, and without the header
// it names takes the proxy for the client.
func TestClientAddressThroughNginx(t *testing.T) {
	proxy := netip.MustParsePrefix("127.0.0.1/32") // nginx; the client connects from 127.0.0.2
	for _, c := range []struct {
		name, conf  string
		hook        sse.ClientAddressFunc
		forgeRealIP bool
		remote      string // the client the log names
	}{
		{"default config, ProxyHeader", "", sse.ProxyHeader("X-Real-IP", proxy), false, "127.0.0.1"},
		{"documented config, ProxyHeader", nginxDocumented, sse.ProxyHeader("X-Real-IP", proxy), true, "127.0.0.2"},
		{"documented config, ForwardedFor", nginxDocumented, sse.ForwardedFor(proxy), true, "127.0.0.2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs := newRecordingLogger()
			logs.level = logger.DebugLevel
			srv := newServer(server.WithLogger(logs), sse.ClientAddress(c.hook), sse.MaxConnectionsPerClient(2))
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "proxied"})
			addr := ssetest.NginxProxy(t, svc.Addr(), c.conf)
			tr := &http.Transport{DisableKeepAlives: true, DialContext: (&net.Dialer{
				LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)},
			}).DialContext}
			defer tr.CloseIdleConnections()
			open := func(i int) (*ssetest.Stream, error) {
				client := &http.Client{Transport: forging{tr, i, c.forgeRealIP}}
				return ssetest.Open(context.Background(), client, "http://"+addr+"/events?stream=news", "")
			}
			for i := range 2 {
				s, err := open(i)
				if err != nil {
					t.Fatalf("stream %d: %v", i, err)
				}
				defer s.Close()
			}
			ssetest.Eventually(t, "two streams open", func() bool { return srv.Stats().Endpoint.Open == 2 })
			for i := 2; i < 4; i++ {
				s, err := open(i)
				var se *ssetest.StatusError
				if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests {
					if s != nil {
						s.Close()
					}
					t.Fatalf("stream %d with a forged address: %v, want 429 (MaxConnectionsPerClient 2)", i, err)
				}
			}
			if got := srv.Stats().Endpoint.Refused[sse.ReasonClientLimit]; got != 2 {
				t.Fatalf("refused as client_limit: %d, want 2", got)
			}
			text := logs.Text()
			if want := "remote:" + c.remote + " "; !strings.Contains(text, want) || !strings.Contains(text, "sse:open") {
				t.Fatalf("stream log without %q:\n%s", want, text)
			}
		})
	}
}

// forging is a client's transport that forges a different address on its
// request i.
type forging struct {
	base   http.RoundTripper
	i      int
	realIP bool
}

func (f forging) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", f.i+1))
	if f.realIP {
		r.Header.Set("X-Real-IP", fmt.Sprintf("203.0.113.%d", f.i+1))
	}
	return f.base.RoundTrip(r)
}
