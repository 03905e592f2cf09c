package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ForwardedFor returns a ClientAddress hook for a server behind reverse
// proxies whose addresses are in trusted, each of which appends the
// address it saw connect to X-Forwarded-For. For a request from a trusted
// proxy the client is the last address of X-Forwarded-For that is not
// itself a trusted proxy (the one the nearest proxy saw connect; the
// earlier entries may be forged by the client); for a request from any
// other peer it is the peer, whatever X-Forwarded-For says. A loopback
// peer not listed in trusted is exempt from the per-client limits, as
// without the hook.
//
// It holds only when every trusted proxy appends: nginx with
// `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`, HAProxy
// with `option forwardfor`. Their default configurations pass the
// client's own X-Forwarded-For through unchanged, and the client could
// then name any address; ProxyHeader is not fooled by that header.
func ForwardedFor(trusted ...netip.Prefix) ClientAddressFunc {
	isTrusted := trustedIn(trusted)
	return func(r *http.Request) string {
		peer, other, ok := peerOf(r, isTrusted)
		if !ok {
			return other
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

// ProxyHeader returns a ClientAddress hook for a server behind reverse
// proxies whose addresses are in trusted and which put the address of the
// client they saw connect in the header name, replacing whatever the
// client sent in it: nginx with `proxy_set_header X-Real-IP $remote_addr;`,
// HAProxy with `http-request set-header X-Real-IP %[src]`. For a request
// from a trusted proxy the client is the address in that header (its last
// value, should there be several); without one, the proxy itself is the
// client, so that a proxy not configured to set it shares one client's
// limits instead of lifting them (X-Forwarded-For is never read). For a
// request from any other peer the client is the peer. A loopback peer not
// listed in trusted is exempt from the per-client limits, as without the
// hook.
func ProxyHeader(name string, trusted ...netip.Prefix) ClientAddressFunc {
	isTrusted := trustedIn(trusted)
	return func(r *http.Request) string {
		peer, other, ok := peerOf(r, isTrusted)
		if !ok {
			return other
		}
		vs := r.Header.Values(name)
		if len(vs) == 0 {
			return peer.String()
		}
		v := vs[len(vs)-1]
		if i := strings.LastIndexByte(v, ','); i >= 0 {
			v = v[i+1:]
		}
		v = strings.TrimSpace(v)
		a, err := netip.ParseAddr(v)
		if err != nil {
			ap, perr := netip.ParseAddrPort(v)
			if perr != nil {
				return peer.String()
			}
			a = ap.Addr()
		}
		return a.Unmap().String()
	}
}

// trustedIn returns whether an address is in one of the prefixes.
func trustedIn(trusted []netip.Prefix) func(netip.Addr) bool {
	return func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
}

// peerOf returns the peer of r and true when it is a trusted proxy;
// otherwise the client address of r as the peer itself ("" for an
// untrusted loopback peer: exempt) and false.
func peerOf(r *http.Request, isTrusted func(netip.Addr) bool) (netip.Addr, string, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, host, false
	}
	peer = peer.Unmap()
	if isTrusted(peer) {
		return peer, "", true
	}
	if peer.IsLoopback() {
		return peer, "", false
	}
	return peer, peer.String(), false
}
