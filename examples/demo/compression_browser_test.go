package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// cutProxy forwards TCP connections to an address and can cut them all at
// once (the browser then reconnects through it).
type cutProxy struct {
	ln    net.Listener
	to    string
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startCutProxy(t *testing.T, to string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, to: to}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) port() string {
	_, port, _ := net.SplitHostPort(p.ln.Addr().String())
	return port
}

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.to)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); io.Copy(u, c); u.Close() }()
		go func() { defer p.wg.Done(); io.Copy(c, u); c.Close() }()
	}
}

// cut closes every connection made so far, in both directions.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// encodingLog records the Accept-Encoding and Last-Event-ID of each events
// request.
type encodingLog struct {
	mu              sync.Mutex
	accept, lastIDs []string
}

func (l *encodingLog) option() server.Option {
	return sse.Authorize(func(r *http.Request, _ []string) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.accept = append(l.accept, r.Header.Get("Accept-Encoding"))
		l.lastIDs = append(l.lastIDs, r.Header.Get("Last-Event-ID"))
		return nil
	})
}

func (l *encodingLog) get() (accept, lastIDs []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.accept), slices.Clone(l.lastIDs)
}

// TestBrowserCompressedStreams: Chromium's EventSource over each encoding
// the server ships (gzip, deflate), from http://127.0.0.1 (a secure context
// to Chromium, which then offers gzip, deflate, br and zstd) and from a
// host name mapped to 127.0.0.1 (which it offers only gzip and deflate):
// the response is in the encoding negotiated, one the browser asked for
// (the page's own fetch sees its Content-Encoding); each event is
// dispatched before the next is published; a connection cut mid-stream
// (no trailer) is resumed by the browser with its Last-Event-ID, exactly:
// the events published meanwhile, no reset; Stop ends the stream cleanly
// (the last event before it dispatched), and a new run on the same address
// answers the page's id with the sse-reset, then live events.
func TestBrowserCompressedStreams(t *testing.T) {
	b := browsertest.StartResolving(t, "sse.test")
	cases := []struct {
		host   string
		offer  []string // the server's Compression; nil: the default
		want   string
		asked  []string // encodings Chromium must offer this host
		absent []string // and must not
	}{
		{"127.0.0.1", nil, "gzip", []string{"gzip", "deflate", "zstd"}, nil},
		{"127.0.0.1", []string{"deflate"}, "deflate", []string{"gzip", "deflate", "zstd"}, nil},
		{"sse.test", nil, "gzip", []string{"gzip", "deflate"}, []string{"zstd", "br"}},
		{"sse.test", []string{"deflate"}, "deflate", []string{"gzip", "deflate"}, []string{"zstd", "br"}},
	}
	for _, c := range cases {
		t.Run(c.host+"/"+c.want, func(t *testing.T) {
			var log encodingLog
			opts := []server.Option{log.option(), sse.Retry(300 * time.Millisecond)}
			if c.offer != nil {
				opts = append(opts, sse.Compression(c.offer...))
			}
			n := startTestNode(t, config{SSE: opts})
			proxy := startCutProxy(t, n.Addr())
			p := b.Open(t, "http://"+c.host+":"+proxy.port()+"/?stream=z")
			p.WaitFor(`window.demo && demo.state === "open"`, `window.demo && demo.states`)

			var ce string
			p.Eval(`fetch("events?stream=probe").then(r => { const ce = r.headers.get("content-encoding"); r.body.cancel(); return ce; })`, &ce)
			if ce != c.want {
				t.Fatalf("the page's fetch saw Content-Encoding %q, want %q", ce, c.want)
			}

			var want []string
			pub := func() {
				want = append(want, fmt.Sprintf(`{"n":%d,"user":"ada","items":["sku-1","sku-2"]}`, len(want)+1))
				publish(t, n, "z", "", want[len(want)-1])
			}
			for range 10 { // each dispatched as it arrives
				pub()
				p.WaitFor(fmt.Sprintf(`demo.events.length >= %d`, len(want)), `demo.events.length`)
			}
			for range 20 {
				pub()
			}
			p.WaitFor(fmt.Sprintf(`demo.events.length >= %d`, len(want)), `demo.events.length`)

			proxy.cut() // mid-stream: no trailer
			p.WaitFor(`demo.errors >= 1`, `demo.states`)
			for range 5 {
				pub()
			}
			p.WaitFor(fmt.Sprintf(`demo.opens >= 2 && demo.events.length >= %d`, len(want)), `[demo.states, demo.events.length]`)
			for range 5 {
				pub()
			}
			p.WaitFor(fmt.Sprintf(`demo.events.length >= %d`, len(want)), `demo.events.length`)
			if got := eventData(t, p); !slices.Equal(got, want) {
				t.Fatalf("events:\n got %q\nwant %q", got, want)
			}
			var resets int
			p.Eval(`demo.resets.length`, &resets)
			if resets != 0 {
				t.Fatalf("%d resets: the resume was not exact", resets)
			}

			// A clean end at Stop (the trailer after the last frame): the
			// event published just before it is dispatched; then a new run
			// on the same address cannot place the page's id (another
			// epoch): the reset, exact, then live events, all compressed.
			pub()
			if err := n.Stop(); err != nil {
				t.Fatal(err)
			}
			p.WaitFor(fmt.Sprintf(`demo.events.length >= %d && demo.state === "connecting"`, len(want)), `[demo.states, demo.events.length]`)
			var lastID string
			p.Eval(`demo.lastId`, &lastID)
			n2 := startTestNode(t, config{Addr: n.Addr(), SSE: opts})
			p.WaitFor(`demo.resets.length >= 1 && demo.state === "open"`, `[demo.states, demo.resets]`)
			var reset struct{ Reason, LastEventID string }
			p.Eval(`({Reason: demo.resets[0].reason, LastEventID: demo.resets[0].lastEventId})`, &reset)
			if reset.Reason != codec.ResetOtherEpoch || reset.LastEventID != lastID {
				t.Errorf("sse-reset after the restart: reason %q lastEventId %q, want %q and %q", reset.Reason, reset.LastEventID, codec.ResetOtherEpoch, lastID)
			}
			want = append(want, "after the restart")
			publish(t, n2, "z", "", want[len(want)-1])
			p.WaitFor(`demo.events.some(e => e.data === "after the restart")`, `demo.events.length`)
			if got := eventData(t, p); !slices.Equal(got, want) {
				t.Fatalf("events after the restart:\n got %q\nwant %q", got, want)
			}
			p.Eval(`fetch("events?stream=probe").then(r => { const ce = r.headers.get("content-encoding"); r.body.cancel(); return ce; })`, &ce)
			if ce != c.want {
				t.Fatalf("after the restart the page's fetch saw Content-Encoding %q, want %q", ce, c.want)
			}

			accept, lastIDs := log.get()
			if len(accept) < 3 { // the stream, the fetch, the reconnection
				t.Fatalf("%d events requests", len(accept))
			}
			for i, a := range accept {
				tokens := strings.Split(strings.ReplaceAll(a, " ", ""), ",")
				for _, e := range c.asked {
					if !slices.Contains(tokens, e) {
						t.Errorf("request %d: Accept-Encoding %q lacks %s", i, a, e)
					}
				}
				for _, e := range c.absent {
					if slices.Contains(tokens, e) {
						t.Errorf("request %d: Accept-Encoding %q offers %s to a non-secure host", i, a, e)
					}
				}
			}
			if !slices.Contains(lastIDs, lastID) {
				t.Errorf("no reconnection carried the page's Last-Event-ID %q: %q", lastID, lastIDs)
			}
		})
	}
}
