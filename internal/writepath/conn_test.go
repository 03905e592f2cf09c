//go:build unix

package writepath

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection: the server's
// (to be taken over) and the client's.
func pair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server, client
}

// reuse opens things with open until one gets descriptor number fd, and
// returns it; the others are closed.
func reuse[T io.Closer](t *testing.T, fd int, open func() (T, int)) T {
	t.Helper()
	var others []io.Closer
	defer func() {
		for _, o := range others {
			o.Close()
		}
	}()
	for range 200 {
		x, n := open()
		if n == fd {
			return x
		}
		others = append(others, x)
	}
	t.Fatalf("descriptor %d was not reused", fd)
	var zero T
	return zero
}

func fdOfTest(t *testing.T, nc net.Conn) int {
	t.Helper()
	fd := fdOf(nc)
	if fd < 0 {
		t.Fatal("a TCP connection has no descriptor")
	}
	return fd
}

// A second Close, a Writev after Close and a peek after Close through the
// Conn never reach a file that got the closed descriptor's number.
func TestClosedConnNeverTouchesAReusedDescriptor(t *testing.T) {
	nc, _ := pair(t)
	var c Conn
	c.Init(nc)
	fd := fdOfTest(t, nc)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	f := reuse(t, fd, func() (*os.File, int) {
		f, err := os.CreateTemp(t.TempDir(), "reused")
		if err != nil {
			t.Fatal(err)
		}
		return f, int(f.Fd())
	})
	defer f.Close()

	var iov Iovecs
	if n, err := c.Writev(&iov, [][]byte{[]byte("another client's event\n")}); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("Writev after Close = %d, %v; want 0, ErrClosed", n, err)
	}
	if err := c.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	if _, err := f.WriteString("mine"); err != nil {
		t.Fatalf("the file that reused the descriptor was closed by the second Close: %v", err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "mine" {
		t.Fatalf("the file that reused the descriptor holds %q, want only its own %q", got, "mine")
	}
}

func TestClosedConnNeverPeeksAtAReusedSocket(t *testing.T) {
	nc, _ := pair(t)
	var c Conn
	c.Init(nc)
	fd := fdOfTest(t, nc)
	// Connections dialed before the close, accepted after it: one of
	// them gets the closed descriptor's number.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var clients []net.Conn
	for range 20 {
		cli, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		clients = append(clients, cli)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	other := reuse(t, fd, func() (net.Conn, int) {
		srv, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return srv, fdOf(srv)
	})
	defer other.Close()
	// Data waits on every client's socket: a peek at the reused one
	// would report it open, a write would reach its client.
	for _, cli := range clients {
		if _, err := cli.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if !c.PeerClosed() {
		t.Fatal("PeerClosed after Close = false: the peek reached the socket that reused the descriptor")
	}
	if n, err := c.Writev(new(Iovecs), [][]byte{[]byte("leak")}); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("Writev after Close = %d, %v; want 0, ErrClosed", n, err)
	}
	if err := c.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	if _, err := other.Write([]byte("ok")); err != nil {
		t.Fatalf("the socket that reused the descriptor was closed by the second Close: %v", err)
	}
	for _, cli := range clients {
		cli.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		var got [8]byte
		n, err := cli.Read(got[:])
		if n > 0 && string(got[:n]) != "ok" {
			t.Fatalf("a client read %q: bytes written through the closed Conn", got[:n])
		}
		if n == 0 && !isTimeout(err) {
			t.Fatalf("a client read %v", err)
		}
	}
}

type closer struct{ srv, cli net.Conn }

func (c closer) Close() error { c.srv.Close(); return c.cli.Close() }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Close with a Writev or peek in flight closes when the last one returns,
// never under it.
func TestCloseWaitsForTheUserInFlight(t *testing.T) {
	nc, client := pair(t)
	var c Conn
	c.Init(nc)
	if !c.incref() { // a Writev in flight
		t.Fatal("incref on an open Conn failed")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Writev(new(Iovecs), [][]byte{[]byte("late")}); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("Writev while closing = %d, %v; want 0, ErrClosed", n, err)
	}
	client.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var b [8]byte
	if _, err := client.Read(b[:]); !isTimeout(err) {
		t.Fatalf("the connection closed under a user in flight: read %v", err)
	}
	c.decref() // the user returns: now it closes
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := client.Read(b[:]); err != io.EOF {
		t.Fatalf("after the last user: read %v, want EOF", err)
	}
}

func TestWritevAndPeek(t *testing.T) {
	nc, client := pair(t)
	var c Conn
	c.Init(nc)
	defer c.Close()
	var iov Iovecs
	n, err := c.Writev(&iov, [][]byte{[]byte("data: a\n"), nil, []byte("\n")})
	if n != 9 || err != nil {
		t.Fatalf("Writev = %d, %v", n, err)
	}
	var b [9]byte
	if _, err := io.ReadFull(client, b[:]); err != nil || string(b[:]) != "data: a\n\n" {
		t.Fatalf("client read %q, %v", b, err)
	}
	if c.PeerClosed() {
		t.Fatal("PeerClosed on an open connection")
	}
	client.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !c.PeerClosed() {
		if time.Now().After(deadline) {
			t.Fatal("PeerClosed never saw the client close")
		}
		time.Sleep(time.Millisecond)
	}
}

// A zero Conn (a stream never taken over) owns nothing: it never writes to
// descriptor 0.
func TestZeroConnOwnsNothing(t *testing.T) {
	var c Conn
	if n, err := c.Writev(new(Iovecs), [][]byte{[]byte("x")}); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("Writev of a zero Conn = %d, %v; want 0, ErrClosed", n, err)
	}
	if !c.PeerClosed() || c.HasFD() {
		t.Fatal("a zero Conn reports an open descriptor")
	}
	if err := c.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Close of a zero Conn = %v, want ErrClosed", err)
	}
}
