package ssetest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy is a small TCP load balancer on 127.0.0.1 for tests: it hands each
// new connection to the next backend in turn, skipping one it cannot dial
// (a node that is stopped), like a load balancer that retries another
// upstream on a refused connection. A connection stays on its backend
// until either side closes; then both close.
type Proxy struct {
	ln net.Listener
	wg sync.WaitGroup

	mu       sync.Mutex
	backends []string
	next     int
	conns    map[net.Conn]struct{}
	closed   bool
}

// StartProxy listens on 127.0.0.1 and balances over backends (host:port);
// it is closed when the test ends.
func StartProxy(t testing.TB, backends ...string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ssetest: proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, backends: append([]string(nil), backends...), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetBackend replaces backend i (a node started again on another port);
// connections already open stay where they are.
func (p *Proxy) SetBackend(i int, addr string) {
	p.mu.Lock()
	p.backends[i] = addr
	p.mu.Unlock()
}

// dial connects to the next backend that answers, trying each once; nil
// when none does.
func (p *Proxy) dial() net.Conn {
	p.mu.Lock()
	order := make([]string, 0, len(p.backends))
	for i := range p.backends {
		order = append(order, p.backends[(p.next+i)%len(p.backends)])
	}
	p.next = (p.next + 1) % len(p.backends)
	p.mu.Unlock()
	for _, addr := range order {
		if b, err := net.Dial("tcp", addr); err == nil {
			return b
		}
	}
	return nil
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve connects c to a backend and copies both ways until one side ends.
func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	b := p.dial()
	if b == nil { // every backend down: the client sees a closed connection
		c.Close()
		return
	}
	if !p.track(c, b) {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.pipe(c, b)
	}()
	p.pipe(b, c)
}

// track remembers an open pair; false (both closed) when the proxy is
// closed.
func (p *Proxy) track(c, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		b.Close()
		return false
	}
	p.conns[c], p.conns[b] = struct{}{}, struct{}{}
	return true
}

// pipe copies from src to dst; when src ends, both connections close.
func (p *Proxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Close stops accepting, closes every connection and waits for the
// proxy's goroutines. It may be called more than once.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}
