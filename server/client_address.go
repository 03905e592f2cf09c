package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ForwardedFor returns a ClientAddress hook for a server behind reverse
// proxies whose addresses are in trusted. For a request from a trusted
// proxy the client is the last address of X-Forwarded-For that is not
// itself a trusted proxy (the one the nearest proxy saw connect; the
// earlier entries may be forged by the client); for a request from any
// other peer it is the peer, whatever X-Forwarded-For says. A loopback
// peer not listed in trusted is exempt from the per-client limits, as
// without the hook.
func ForwardedFor(trusted ...netip.Prefix) ClientAddressFunc {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) string {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		peer, err := netip.ParseAddr(host)
		if err != nil {
			return host
		}
		peer = peer.Unmap()
		if !isTrusted(peer) {
			if peer.IsLoopback() {
				return ""
			}
			return peer.String()
		}
		client := peer
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // not an address: nothing before it can be trusted
			}
			client = a.Unmap()
			if !isTrusted(client) {
				break
			}
		}
		return client.String()
	}
}
