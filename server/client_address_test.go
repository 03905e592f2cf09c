package server

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestForwardedFor(t *testing.T) {
	fn := ForwardedFor(netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"))
	for _, c := range []struct{ remote, xff, want string }{
		{"10.1.2.3:5000", "198.51.100.7", "198.51.100.7"},                         // through one trusted proxy
		{"10.1.2.3:5000", "203.0.113.66, 198.51.100.7, 10.9.9.9", "198.51.100.7"}, // two proxies; the first entry is forged
		{"10.1.2.3:5000", "", "10.1.2.3"},                                         // a trusted peer without the header
		{"10.1.2.3:5000", "not-an-ip, 10.2.2.2", "10.2.2.2"},                      // garbage stops the walk
		{"192.0.2.9:4000", "198.51.100.7", "192.0.2.9"},                           // an untrusted peer cannot forge it
		{"127.0.0.1:4000", "198.51.100.7", ""},                                    // loopback, not trusted: exempt
		{"[::1]:4000", "2001:db8::5", "2001:db8::5"},                              // loopback listed as trusted
		{"[::ffff:10.1.2.3]:5000", "::ffff:198.51.100.7", "198.51.100.7"},         // IPv4-mapped forms
	} {
		r := httptest.NewRequest("GET", "/events?stream=a", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := fn(r); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %q, want %q", c.remote, c.xff, got, c.want)
		}
	}
}

func TestProxyHeader(t *testing.T) {
	fn := ProxyHeader("X-Real-IP", netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"))
	for _, c := range []struct{ remote, realIP, xff, want string }{
		{"10.1.2.3:5000", "198.51.100.7", "", "198.51.100.7"},               // set by a trusted proxy
		{"10.1.2.3:5000", "198.51.100.7:4431", "", "198.51.100.7"},          // with a port
		{"10.1.2.3:5000", "", "198.51.100.7", "10.1.2.3"},                   // no header: the proxy, X-Forwarded-For never read
		{"10.1.2.3:5000", "garbage", "", "10.1.2.3"},                        // not an address: the proxy
		{"10.1.2.3:5000", "203.0.113.66, 198.51.100.7", "", "198.51.100.7"}, // a list: its last entry
		{"192.0.2.9:4000", "198.51.100.7", "", "192.0.2.9"},                 // an untrusted peer cannot forge it
		{"127.0.0.1:4000", "198.51.100.7", "", ""},                          // loopback, not trusted: exempt
		{"[::1]:4000", "", "", "::1"},                                       // a trusted loopback proxy without it: counted
		{"[::ffff:10.1.2.3]:5000", "::ffff:198.51.100.7", "", "198.51.100.7"},
	} {
		r := httptest.NewRequest("GET", "/events?stream=a", nil)
		r.RemoteAddr = c.remote
		if c.realIP != "" {
			r.Header.Set("X-Real-IP", c.realIP)
		}
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := fn(r); got != c.want {
			t.Errorf("peer %s, X-Real-IP %q: %q, want %q", c.remote, c.realIP, got, c.want)
		}
	}
}
