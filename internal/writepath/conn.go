package writepath

import (
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by a Conn's methods after Close.
var ErrClosed = errors.New("sse write path: connection closed")

// Conn owns one taken-over connection and its descriptor: it is the only
// way to write to, peek at or close them. The rule, enforced here and
// nowhere else (as Go's poll.FD does for net): the descriptor number is
// used only while the Conn holds the connection open. Each Writev and
// PeerClosed counts itself as a user of the descriptor; Close marks the
// Conn closed at once (later calls return ErrClosed and never reach the
// descriptor number, which the system may meanwhile give to another file)
// and the connection is closed once, by Close or by the last user in
// flight. So one client's bytes can never reach another client's socket.
//
// The zero Conn owns nothing (its methods report it closed); Init takes a
// connection over. A Conn lives inside its stream's memory (not copied
// once in use), its hot words first. It is safe for concurrent use. Write,
// the blocking path of a flusher, goes through the net.Conn, which has its
// own guard.
type Conn struct {
	fd int32 // the descriptor; meaningful with hasFD
	// state is openBit | closedBit | users<<2: users counts the Writev
	// and PeerClosed calls in flight.
	state atomic.Uint32
	nc    net.Conn
}

const (
	openBit   = 1 // Init ran
	closedBit = 2 // Close ran
	oneUser   = 4
	hasFDBit  = 1 << 31 // the connection has a descriptor for Writev
)

// Init takes nc over: from now on only c writes, peeks at or closes it.
func (c *Conn) Init(nc net.Conn) {
	c.nc = nc
	st := uint32(openBit)
	if fd := fdOf(nc); fd >= 0 {
		c.fd = int32(fd)
		st |= hasFDBit
	}
	c.state.Store(st)
}

// Taken reports whether Init took a connection over (closed since or not).
func (c *Conn) Taken() bool { return c.state.Load()&openBit != 0 }

// HasFD reports whether writes go to the descriptor (Writev takes bytes);
// without one, every write goes through Write.
func (c *Conn) HasFD() bool { return c.state.Load()&hasFDBit != 0 }

// incref counts one user of the descriptor, unless the Conn is not open
// (zero, or closed) or has none.
func (c *Conn) incref() bool {
	for {
		old := c.state.Load()
		if old&(openBit|closedBit|hasFDBit) != openBit|hasFDBit {
			return false
		}
		if c.state.CompareAndSwap(old, old+oneUser) {
			return true
		}
	}
}

// decref uncounts a user; the last one out of a closed Conn closes it.
func (c *Conn) decref() {
	if c.state.Add(^uint32(oneUser-1))&^hasFDBit == openBit|closedBit { // closed, no user left
		c.nc.Close()
	}
}

// closed reports whether the Conn owns no open connection.
func (c *Conn) closed() bool {
	return c.state.Load()&(openBit|closedBit) != openBit
}

// Writev writes as much of bufs as the socket takes now, without
// blocking, with one writev(2) on the descriptor: the slices go out as
// they are, with no copy, through iov (its owner's, reused from write to
// write). It returns the bytes written; a full socket is no error. A Conn
// without a descriptor takes nothing here. After Close: 0, ErrClosed.
func (c *Conn) Writev(iov *Iovecs, bufs [][]byte) (int, error) {
	if !c.incref() {
		if c.closed() {
			return 0, ErrClosed
		}
		return 0, nil // no descriptor
	}
	defer c.decref()
	return writevFD(int(c.fd), iov, bufs)
}

// PeerClosed reports whether the client closed (or reset) the connection,
// without reading anything: a non-blocking peek that finds end-of-file or
// an error. Without a descriptor it reports false: the next write tells.
// After Close it reports true.
func (c *Conn) PeerClosed() bool {
	if !c.incref() {
		return c.closed()
	}
	defer c.decref()
	return peekClosed(int(c.fd))
}

// Write writes b through the net.Conn, blocking until the socket takes it
// or the write deadline passes: the path of a write the socket did not
// take at once.
func (c *Conn) Write(b []byte) (int, error) {
	if c.nc == nil {
		return 0, ErrClosed
	}
	return c.nc.Write(b)
}

// WriteBuffers writes bufs through the net.Conn as Write does (with
// writev where the net.Conn has it), consuming what was written.
func (c *Conn) WriteBuffers(bufs *net.Buffers) (int64, error) {
	if c.nc == nil {
		return 0, ErrClosed
	}
	return bufs.WriteTo(c.nc)
}

// SetWriteDeadline sets the deadline of Write; a deadline in the past cuts
// a Write under way short.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.nc == nil {
		return ErrClosed
	}
	return c.nc.SetWriteDeadline(t)
}

// RemoteAddr returns the client's address (nil for a zero Conn).
func (c *Conn) RemoteAddr() net.Addr {
	if c.nc == nil {
		return nil
	}
	return c.nc.RemoteAddr()
}

// Close closes the connection, once: at once when no Writev or
// PeerClosed is in flight, else when the last one returns (a moment:
// neither blocks). A Write blocked in the net.Conn is woken by the close
// and fails. A second Close, or Close of a zero Conn, returns ErrClosed
// and touches nothing.
func (c *Conn) Close() error {
	for {
		old := c.state.Load()
		if old&(openBit|closedBit) != openBit {
			return ErrClosed
		}
		if c.state.CompareAndSwap(old, old|closedBit) {
			if old&^hasFDBit == openBit { // no user in flight
				return c.nc.Close()
			}
			return nil
		}
	}
}
