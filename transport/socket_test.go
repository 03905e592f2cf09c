package transport

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4/transport"
)

// pair is one listener with Accept running and the sockets it accepted.
type pair struct {
	tr      transport.Transport
	l       transport.Listener
	sockets chan transport.Socket
	done    chan error
	release chan struct{} // closed when the test ends: the Accept fns return
}

// serve starts a listener on loopback whose accepted sockets are handed to
// the test (the serving goroutines wait until the test ends).
func serve(t *testing.T, opts ...transport.Option) *pair {
	t.Helper()
	tr := NewTransport(opts...)
	l, err := tr.Listen("127.0.0.1:0")
	require.NoError(t, err)
	p := &pair{tr: tr, l: l, sockets: make(chan transport.Socket, 16), done: make(chan error, 1), release: make(chan struct{})}
	go func() {
		p.done <- l.Accept(func(s transport.Socket) {
			p.sockets <- s
			<-p.release
		})
	}()
	t.Cleanup(func() {
		close(p.release)
		require.NoError(t, l.Close())
		require.NoError(t, <-p.done)
	})
	return p
}

func (p *pair) dial(t *testing.T, opts ...transport.DialOption) (transport.Client, transport.Socket) {
	t.Helper()
	c, err := p.tr.Dial(p.l.Addr(), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	select {
	case s := <-p.sockets:
		return c, s
	case <-time.After(10 * time.Second):
		t.Fatal("no socket accepted")
		return nil, nil
	}
}

func TestString(t *testing.T) {
	assert.Equal(t, "sse", NewTransport().String())
}

func TestRoundTripExact(t *testing.T) {
	p := serve(t)
	c, s := p.dial(t)
	msgs := []*transport.Message{
		{Header: map[string]string{"Micro-Id": "1", "Content-Type": "application/json"}, Body: []byte("{\"a\":1}\n")},
		{Header: map[string]string{}, Body: nil},
		{Header: map[string]string{"": "", "a=b&c": "%zz\r\n\x00\xff", "lower-case": "Ünïcödé"}, Body: []byte{0, 1, 2, 0xff, '\r', '\n'}},
		{Header: map[string]string{"k": "v"}, Body: []byte(" leading space\n\nblank lines\n")},
		{Header: map[string]string{"k": "v"}, Body: []byte(": colon\n")},
		{Header: nil, Body: bytes.Repeat([]byte("\n"), 100)},
	}
	for _, m := range msgs {
		require.NoError(t, c.Send(m))
	}
	for _, want := range msgs {
		var got transport.Message
		require.NoError(t, s.Recv(&got))
		assertSame(t, want, &got)
		require.NoError(t, s.Send(want))
	}
	for _, want := range msgs {
		var got transport.Message
		require.NoError(t, c.Recv(&got))
		assertSame(t, want, &got)
	}
}

func assertSame(t *testing.T, want, got *transport.Message) {
	t.Helper()
	if len(want.Header) == 0 {
		assert.Empty(t, got.Header)
	} else {
		assert.Equal(t, want.Header, got.Header)
	}
	assert.True(t, bytes.Equal(want.Body, got.Body), "body %q != %q", got.Body, want.Body)
}

func TestRecvMergesIntoHeader(t *testing.T) {
	p := serve(t)
	c, s := p.dial(t)
	require.NoError(t, s.Send(&transport.Message{Header: map[string]string{"b": "2"}}))
	m := transport.Message{Header: map[string]string{"a": "1"}}
	require.NoError(t, c.Recv(&m))
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, m.Header)
}

func TestOrderBothWaysConcurrentSend(t *testing.T) {
	p := serve(t)
	c, s := p.dial(t)
	const senders, each = 8, 500
	for _, dir := range []struct {
		name     string
		from, to transport.Socket
	}{{"client to server", c, s}, {"server to client", s, c}} {
		t.Run(dir.name, func(t *testing.T) {
			var wg sync.WaitGroup
			for g := 0; g < senders; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						err := dir.from.Send(&transport.Message{Header: map[string]string{"g": fmt.Sprint(g)}, Body: []byte(fmt.Sprint(i))})
						if err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			next := make([]int, senders)
			for n := 0; n < senders*each; n++ {
				var m transport.Message
				require.NoError(t, dir.to.Recv(&m))
				var g int
				_, err := fmt.Sscan(m.Header["g"], &g)
				require.NoError(t, err)
				require.Equal(t, fmt.Sprint(next[g]), string(m.Body), "sender %d out of order", g)
				next[g]++
			}
			wg.Wait()
		})
	}
}

func TestRecvAfterCloseAndCloseUnblocksRecv(t *testing.T) {
	p := serve(t)
	for _, side := range []string{"client", "server"} {
		t.Run(side, func(t *testing.T) {
			c, s := p.dial(t)
			sock := transport.Socket(c)
			if side == "server" {
				sock = s
			}
			errc := make(chan error, 1)
			go func() {
				var m transport.Message
				errc <- sock.Recv(&m)
			}()
			require.NoError(t, sock.Close())
			require.ErrorIs(t, <-errc, ErrClosed)
			var m transport.Message
			require.ErrorIs(t, sock.Recv(&m), ErrClosed)
			require.ErrorIs(t, sock.Send(&transport.Message{}), ErrClosed)
			require.NoError(t, sock.Close(), "second Close")
		})
	}
}

func TestClientCloseIsEOFOnServerAfterQueuedMessages(t *testing.T) {
	p := serve(t)
	c, s := p.dial(t)
	for i := 0; i < 100; i++ {
		require.NoError(t, c.Send(&transport.Message{Body: []byte(fmt.Sprint(i))}))
	}
	require.NoError(t, c.Close())
	for i := 0; i < 100; i++ {
		var m transport.Message
		require.NoError(t, s.Recv(&m))
		require.Equal(t, fmt.Sprint(i), string(m.Body))
	}
	var m transport.Message
	require.ErrorIs(t, s.Recv(&m), io.EOF)
	require.Error(t, s.Send(&transport.Message{}))
}

func TestServerCloseIsEOFOnClientAfterQueuedMessages(t *testing.T) {
	p := serve(t)
	c, s := p.dial(t)
	for i := 0; i < 100; i++ {
		require.NoError(t, s.Send(&transport.Message{Body: []byte(fmt.Sprint(i))}))
	}
	require.NoError(t, s.Close())
	for i := 0; i < 100; i++ {
		var m transport.Message
		require.NoError(t, c.Recv(&m))
		require.Equal(t, fmt.Sprint(i), string(m.Body))
	}
	var m transport.Message
	require.Equal(t, io.EOF, c.Recv(&m))
	require.Error(t, c.Send(&transport.Message{}))
}

func TestListenerCloseEndsSockets(t *testing.T) {
	tr := NewTransport()
	l, err := tr.Listen("127.0.0.1:0")
	require.NoError(t, err)
	sockets := make(chan transport.Socket, 1)
	served := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		done <- l.Accept(func(s transport.Socket) {
			sockets <- s
			var m transport.Message
			served <- s.Recv(&m)
		})
	}()
	c, err := tr.Dial(l.Addr())
	require.NoError(t, err)
	defer c.Close()
	<-sockets
	require.NoError(t, l.Close())
	require.NoError(t, <-done, "Accept returns nil once closed")
	require.ErrorIs(t, <-served, io.EOF, "the server's Recv ends")
	var m transport.Message
	require.Error(t, c.Recv(&m), "the client's Recv ends")
	_, err = tr.Dial(l.Addr(), transport.WithTimeout(2*time.Second))
	require.Error(t, err, "dialing a closed listener")
}

// TestDroppedConnection cuts the TCP connections between client and server
// through a proxy: both sides' Recv must fail.
func TestDroppedConnection(t *testing.T) {
	p := serve(t)
	proxy := newCutProxy(t, p.l.Addr())
	c, err := p.tr.Dial(proxy.addr())
	require.NoError(t, err)
	defer c.Close()
	s := <-p.sockets
	require.NoError(t, c.Send(&transport.Message{Body: []byte("x")}))
	var m transport.Message
	require.NoError(t, s.Recv(&m))
	proxy.cut()
	require.ErrorIs(t, c.Recv(&m), ErrConnectionLost)
	require.ErrorIs(t, s.Recv(&m), io.EOF)
}

// TestHeartbeatWritten: an idle stream carries heartbeat comments.
func TestHeartbeatWritten(t *testing.T) {
	p := serve(t, Heartbeat(10*time.Millisecond))
	rsp, err := http.Get("http://" + p.l.Addr() + "/")
	require.NoError(t, err)
	defer rsp.Body.Close()
	s := <-p.sockets
	defer s.Close()
	r := bufio.NewReader(rsp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "event: open\n", line)
	for i := 0; i < 3; i++ { // three heartbeats
		for {
			line, err = r.ReadString('\n')
			require.NoError(t, err)
			if line == ": hb\n" {
				break
			}
		}
	}
}

// TestHeartbeatMissed: a proxy that stops forwarding (without closing)
// makes the client give up with ErrConnectionLost after three missed
// heartbeats.
func TestHeartbeatMissed(t *testing.T) {
	p := serve(t, Heartbeat(20*time.Millisecond))
	proxy := newCutProxy(t, p.l.Addr())
	c, err := p.tr.Dial(proxy.addr())
	require.NoError(t, err)
	defer c.Close()
	s := <-p.sockets
	proxy.freeze()
	var m transport.Message
	require.ErrorIs(t, c.Recv(&m), ErrConnectionLost)
	proxy.cut()
	require.Error(t, s.Recv(&m))
}

func TestRecvTimeoutLeavesSocketUsable(t *testing.T) {
	p := serve(t, transport.Timeout(50*time.Millisecond))
	c, s := p.dial(t)
	var m transport.Message
	require.ErrorIs(t, c.Recv(&m), os.ErrDeadlineExceeded)
	require.ErrorIs(t, s.Recv(&m), os.ErrDeadlineExceeded)
	require.NoError(t, c.Send(&transport.Message{Body: []byte("after")}))
	require.NoError(t, s.Recv(&m))
	require.Equal(t, "after", string(m.Body))
}

func TestMessageTooLarge(t *testing.T) {
	p := serve(t, MaxMessageSize(1000))
	c, s := p.dial(t)
	big := &transport.Message{Header: map[string]string{"k": "v"}, Body: make([]byte, 999)}
	require.ErrorIs(t, c.Send(big), ErrMessageTooLarge)
	require.ErrorIs(t, s.Send(big), ErrMessageTooLarge)
	ok := &transport.Message{Header: map[string]string{"k": "v"}, Body: make([]byte, 998)}
	require.NoError(t, c.Send(ok), "the socket stays usable")
	var m transport.Message
	require.NoError(t, s.Recv(&m))
	require.Len(t, m.Body, 998)
	require.NoError(t, s.Send(ok))
	require.NoError(t, c.Recv(&m))
	require.Len(t, m.Body, 998)
}

// TestMessageTooLargeReceived: a client allowed larger messages than its
// server gets ErrMessageTooLarge and so does the server.
func TestMessageTooLargeReceived(t *testing.T) {
	p := serve(t, MaxMessageSize(1000))
	big := NewTransport(MaxMessageSize(1 << 20))
	c, err := big.Dial(p.l.Addr())
	require.NoError(t, err)
	defer c.Close()
	s := <-p.sockets
	require.NoError(t, c.Send(&transport.Message{Body: make([]byte, 5000)}))
	var m transport.Message
	require.ErrorIs(t, s.Recv(&m), ErrMessageTooLarge)
	require.Error(t, c.Recv(&m))
	require.ErrorIs(t, c.Send(&transport.Message{}), ErrMessageTooLarge)
}

func TestDialTimeoutOnSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	var mu sync.Mutex
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		<-accepted
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	_, err = NewTransport().Dial(ln.Addr().String(), transport.WithTimeout(100*time.Millisecond))
	require.Error(t, err)
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, err = NewTransport().Dial(addr)
	require.Error(t, err)
}

func TestDialNotSSE(t *testing.T) {
	p := serve(t, Path("/rpc"))
	_, err := NewTransport().Dial(p.l.Addr())
	require.ErrorContains(t, err, "404")
	c, _ := p.dial(t)
	require.NoError(t, c.Send(&transport.Message{}))
}

func TestLocalRemote(t *testing.T) {
	p := serve(t)
	c, s := p.dial(t)
	assert.Equal(t, p.l.Addr(), c.Remote())
	assert.Equal(t, p.l.Addr(), s.Local())
	assert.Equal(t, c.Local(), s.Remote())
}

func TestListenerCloseBeforeAccept(t *testing.T) {
	l, err := NewTransport().Listen("127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "second Close")
	require.NoError(t, l.Accept(func(transport.Socket) { t.Error("no socket expected") }))
}

func TestAcceptTwiceAndRecvIntoNil(t *testing.T) {
	p := serve(t)
	c, s := p.dial(t)
	// serve's Accept runs until the test ends (a socket was accepted by it).
	assert.ErrorIs(t, p.l.Accept(func(transport.Socket) {}), ErrAcceptCalled)
	assert.ErrorIs(t, c.Recv(nil), ErrNilMessage)
	assert.ErrorIs(t, s.Recv(nil), ErrNilMessage)
}

func TestDialWithoutTimeout(t *testing.T) {
	p := serve(t)
	c, s := p.dial(t, transport.WithTimeout(0))
	require.NoError(t, c.Send(&transport.Message{Body: []byte("x")}))
	var m transport.Message
	require.NoError(t, s.Recv(&m))
}

// TestSendToStalledServer: with a server that never reads, Send blocks
// once its inbox and about 1 MiB of queue are full; within
// transport.Timeout the stuck POST fails, Close returns and the blocked Send
// returns an error.
func TestSendToStalledServer(t *testing.T) {
	p := serve(t, transport.Timeout(300*time.Millisecond))
	c, _ := p.dial(t)
	blocked := make(chan error, 1)
	go func() {
		body := make([]byte, 64<<10)
		for {
			if err := c.Send(&transport.Message{Body: body}); err != nil {
				blocked <- err
				return
			}
		}
	}()
	require.NoError(t, c.Close())
	require.Error(t, <-blocked)
}
