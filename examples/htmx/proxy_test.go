package main

import (
	"io"
	"net"
	"sync"
	"testing"
)

// cutProxy is a TCP proxy on loopback in front of a node, so that a test
// can cut the browser's connections the way a network or a load balancer
// does (both sides closed, no clean end of the response) and hold the
// reconnects for a while.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	gate  chan struct{} // closed while connections may proceed
	wg    sync.WaitGroup
}

// startCutProxy starts a proxy to target, closed when the test ends.
func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, gate: make(chan struct{})}
	close(p.gate)
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// URL is the http URL of path through the proxy.
func (p *cutProxy) URL(path string) string { return "http://" + p.ln.Addr().String() + path }

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

// serve waits at the gate, then copies c to and from the target.
func (p *cutProxy) serve(c net.Conn) {
	defer p.untrack(c)
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	<-gate
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(up) {
		return
	}
	defer p.untrack(up)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done // either side gone (or cut): close both, then wait for the other copy
	_ = c.Close()
	_ = up.Close()
	<-done
}

// track adds c to the open connections; false (c closed) once closed.
func (p *cutProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *cutProxy) untrack(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// cutAndHold closes every open connection and holds new ones (accepted,
// not forwarded) until release.
func (p *cutProxy) cutAndHold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gate = make(chan struct{})
	for c := range p.conns {
		_ = c.Close()
	}
}

// release lets the held connections and the next ones through.
func (p *cutProxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
}

// close stops the proxy and waits for its goroutines.
func (p *cutProxy) close() {
	_ = p.ln.Close()
	p.release()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
