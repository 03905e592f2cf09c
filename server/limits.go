package server

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/prunemap"
)

// Limits on what the events endpoint admits, each with a finite default:
//
//   - MaxConnections streams open in all (default: derived from the
//     process's file limit, RLIMIT_NOFILE, see defaultMaxConnections);
//     past it 503 with Retry-After (ReasonOverLimit);
//   - MaxConnectionsPerClient streams open per client address (default
//     DefaultMaxConnectionsPerClient); past it 429 with Retry-After
//     (ReasonClientLimit);
//   - ConnectRate new requests per second per client address, with a
//     burst (default DefaultConnectRate, DefaultConnectBurst); past it 429
//     with Retry-After, the time until the next request fits
//     (ReasonRate).
//
// The client address is the host of the request's RemoteAddr, or what the
// ClientAddress hook returns (behind a trusted proxy: the address the
// proxy puts in a header). Without the hook, a client on a loopback
// address (a proxy on the same host, a test) is the machine itself and is
// exempt from the per-client limits. Every refusal is counted by reason
// (EndpointStats.Refused).

// ClientAddressFunc returns the address a request comes from, the key of
// the per-client limits. An empty result exempts the request from them.
type ClientAddressFunc func(r *http.Request) string

// limiter counts the open streams, in all and per client address, and the
// connect rate of each client address (a token bucket).
type limiter struct {
	max, perClient int     // < 0: no limit
	rate, burst    float64 // rate < 0: no limit
	address        ClientAddressFunc

	mu      sync.Mutex
	open    int
	clients prunemap.Map[string, *client]
}

// client is what the limiter holds for one address: its open streams and
// its token bucket (tokens at the time at).
type client struct {
	open   int
	tokens float64
	at     time.Time
}

func newLimiter(c *config) *limiter {
	return &limiter{
		max:       c.MaxConnections,
		perClient: c.MaxConnectionsPerClient,
		rate:      c.ConnectRate,
		burst:     float64(max(c.ConnectBurst, 1)),
		address:   c.ClientAddress,
	}
}

// clientOf returns the client address of r, "" when it is exempt.
func (l *limiter) clientOf(r *http.Request) string {
	if l.address != nil {
		return l.address(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ""
	}
	return host
}

// allowConnect takes a token of addr's bucket; when there is none it
// returns false and how long until there is one.
func (l *limiter) allowConnect(addr string, now time.Time) (bool, time.Duration) {
	if addr == "" || l.rate < 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clientLocked(addr, now)
	c.tokens = min(l.burst, c.tokens+now.Sub(c.at).Seconds()*l.rate)
	c.at = now
	if c.tokens < 1 {
		wait := time.Duration((1 - c.tokens) / l.rate * float64(time.Second))
		return false, wait
	}
	c.tokens--
	return true, 0
}

// acquire counts a new stream of addr; reason is "" when it fits (then it
// must be paired with release), else ReasonOverLimit or ReasonClientLimit.
func (l *limiter) acquire(addr string, now time.Time) (reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max >= 0 && l.open >= l.max {
		return ReasonOverLimit
	}
	if addr != "" && l.perClient >= 0 {
		c := l.clientLocked(addr, now)
		if c.open >= l.perClient {
			return ReasonClientLimit
		}
		c.open++
	}
	l.open++
	return ""
}

// release uncounts a stream acquire admitted.
func (l *limiter) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if c := l.clients.Get(addr); addr != "" && c != nil && c.open > 0 {
		c.open--
	}
}

// clientLocked returns the state of addr, made with a full bucket when
// new. The map forgets, as it grows, the clients with no open stream whose
// bucket has refilled (they are as good as new).
func (l *limiter) clientLocked(addr string, now time.Time) *client {
	if c := l.clients.Get(addr); c != nil {
		return c
	}
	c := &client{tokens: l.burst, at: now}
	l.clients.Add(addr, c, func(c *client) bool {
		return c.open == 0 && (l.rate <= 0 || c.tokens+now.Sub(c.at).Seconds()*l.rate >= l.burst)
	})
	return c
}

// retryAfter is the Retry-After header value of a 503 or 429: the retry
// delay in whole seconds, at least 1.
func (e *endpoint) retryAfter() string { return retryAfterOf(e.cfg.Retry) }

// retryAfterOf is d in whole seconds, rounded up, at least 1.
func retryAfterOf(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// fallbackMaxConnections is the default of MaxConnections when the file
// limit is unknown or unlimited.
const fallbackMaxConnections = 10_000

// defaultMaxConnections is the default of MaxConnections: the process's
// file limit less a sixteenth (kept for the listener, the broker's and
// registry's connections, files), or fallbackMaxConnections when that
// limit is unknown or unlimited.
func defaultMaxConnections() int {
	n := fileLimit()
	if n == 0 || n >= 1<<31 {
		return fallbackMaxConnections
	}
	return max(1, int(n-n/16))
}

// checkRate finds the client address of r and takes a token of its
// connect rate; when it cannot, it refuses (429 with Retry-After, or 403
// if the ClientAddress hook panicked).
func (e *endpoint) checkRate(r *http.Request) (client string, rf *refusal) {
	if !e.callHook("ClientAddress", nil, func() { client = e.limits.clientOf(r) }) {
		return "", &refusal{status: http.StatusForbidden, reason: ReasonForbidden, text: "client address unknown"}
	}
	if ok, wait := e.limits.allowConnect(client, time.Now()); !ok {
		return "", &refusal{status: http.StatusTooManyRequests, reason: ReasonRate, text: "too many requests: connect rate exceeded", retryAfter: wait}
	}
	return client, nil
}

// acquire counts a new stream of client against MaxConnections and
// MaxConnectionsPerClient, or refuses it (503 or 429, with Retry-After).
// Every nil must be paired with release(client).
func (e *endpoint) acquire(client string) *refusal {
	switch e.limits.acquire(client, time.Now()) {
	case ReasonOverLimit:
		return e.forNow(http.StatusServiceUnavailable, ReasonOverLimit, "too many connections")
	case ReasonClientLimit:
		return e.forNow(http.StatusTooManyRequests, ReasonClientLimit, "too many connections from this client")
	}
	e.open.Add(1)
	return nil
}

// release uncounts a stream of client that acquire admitted.
func (e *endpoint) release(client string) {
	e.open.Add(-1)
	e.limits.release(client)
}
