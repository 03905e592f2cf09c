package server

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// FuzzClientAddress: whatever a client or proxy sends, ForwardedFor and
// ProxyHeader never panic, name an address (or "" for an exempt loopback
// peer, or the peer's text when it is no address), and a peer that is
// not a trusted proxy is the client, whatever its headers say.
func FuzzClientAddress(f *testing.F) {
	f.Add("10.1.2.3:5000", "203.0.113.66, 198.51.100.7, 10.9.9.9", "198.51.100.7")
	f.Add("192.0.2.9:4000", "198.51.100.7", "198.51.100.7:80")
	f.Add("[::ffff:10.1.2.3]:5000", "::ffff:198.51.100.7", "garbage")
	f.Add("127.0.0.1:4000", "", "")
	f.Add("no-port", ",,,", " , ")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	hooks := map[string]ClientAddressFunc{"ForwardedFor": ForwardedFor(trusted...), "ProxyHeader": ProxyHeader("X-Real-IP", trusted...)}
	f.Fuzz(func(t *testing.T, remote, xff, realIP string) {
		r := httptest.NewRequest("GET", "/events?stream=a", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Real-IP", realIP)
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		peer, perr := netip.ParseAddr(host)
		for name, fn := range hooks {
			got := fn(r)
			if perr != nil {
				if got != host {
					t.Fatalf("%s: peer %q is no address: %q, want the peer's text", name, remote, got)
				}
				continue
			}
			if _, err := netip.ParseAddr(got); got != "" && err != nil {
				t.Fatalf("%s: %q is no address (peer %q)", name, got, remote)
			}
			p := peer.Unmap()
			untrusted := !trusted[0].Contains(p) && !trusted[1].Contains(p)
			switch {
			case untrusted && p.IsLoopback() && got != "":
				t.Fatalf("%s: untrusted loopback peer %q: %q, want exempt", name, remote, got)
			case untrusted && !p.IsLoopback() && got != p.String():
				t.Fatalf("%s: untrusted peer %q named %q by its headers", name, remote, got)
			}
		}
	})
}
