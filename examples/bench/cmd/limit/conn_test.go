package main

import (
	"syscall"
	"testing"
)

// TestAdvance: a short write leaves the connection at the byte it
// stopped, the pending bytes first, then the frames.
func TestAdvance(t *testing.T) {
	l := &frameLog{}
	for _, s := range []string{"aaaa", "bbbb", "cccc"} {
		l.append([]byte(s))
	}
	c := &conn{pending: []byte("hh")}
	v := []syscall.Iovec{}
	for _, b := range [][]byte{c.pending, l.at(0).b, l.at(1).b, l.at(2).b} {
		v = appendIovec(v, b)
	}
	if c.advance(v, 1) || len(c.pending) != 1 || c.next != 0 {
		t.Fatalf("1 byte: pending %q next %d", c.pending, c.next)
	}
	c.pending = []byte("hh")
	if c.advance(v, 2+4+1) || c.pending != nil || c.next != 1 || c.off != 1 {
		t.Fatalf("7 bytes: pending %q next %d off %d", c.pending, c.next, c.off)
	}
	c2 := &conn{}
	if !c2.advance(v[1:], 12) || c2.next != 3 || c2.off != 0 {
		t.Fatalf("all: next %d off %d", c2.next, c2.off)
	}
}

// socketPair returns a connected pair of non-blocking stream sockets.
func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fds[0]); syscall.Close(fds[1]) })
	return fds[0], fds[1]
}

// TestWriteToFullAndEvicted: writeTo stops at a full socket where it
// stopped, continues from there, and fails once the log dropped the next
// frame.
func TestWriteToFullAndEvicted(t *testing.T) {
	a, b := socketPair(t)
	l := &frameLog{}
	frame := make([]byte, 64<<10)
	for i := range frame {
		frame[i] = byte(i)
	}
	for range 64 { // 4 MiB: more than the socket buffers take
		l.append(frame)
	}
	c := &conn{pending: []byte("head")}
	iov := make([]syscall.Iovec, 0, maxIov)
	full, err := c.writeTo(a, l, l.head.Load(), &iov)
	if err != nil || !full {
		t.Fatalf("first write: full %v err %v", full, err)
	}
	if c.next >= 64 || !c.wrote || c.pending != nil {
		t.Fatalf("after the first write: next %d wrote %v pending %q", c.next, c.wrote, c.pending)
	}
	// Read everything, checking the stream is the header then the frames.
	var got []byte
	buf := make([]byte, 1<<20)
	for {
		n, rerr := syscall.Read(b, buf)
		if n > 0 {
			got = append(got, buf[:n]...)
		}
		if rerr == syscall.EAGAIN {
			full, err = c.writeTo(a, l, l.head.Load(), &iov)
			if err != nil {
				t.Fatal(err)
			}
			if !full && len(got) == 4+64*len(frame) {
				break
			}
			continue
		}
		if rerr != nil {
			t.Fatal(rerr)
		}
	}
	if string(got[:4]) != "head" {
		t.Fatalf("header %q", got[:4])
	}
	for i, x := range got[4:] {
		if x != byte(i%len(frame)) {
			t.Fatalf("byte %d of the frames: %d", i, x)
		}
	}
	// Behind by more than the log holds: the next frame is gone.
	for range logFrames {
		l.append([]byte("x"))
	}
	c.next = 1
	if _, err := c.writeTo(a, l, l.head.Load(), &iov); err != errEvicted {
		t.Fatalf("evicted: err %v", err)
	}
}

// TestPeerClosed: an open peer is not closed, a closed one is.
func TestPeerClosed(t *testing.T) {
	a, b := socketPair(t)
	if peerClosed(a) {
		t.Fatal("open peer reported closed")
	}
	if _, err := syscall.Write(b, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if peerClosed(a) {
		t.Fatal("peer with unread data reported closed")
	}
	var one [1]byte
	if _, err := syscall.Read(a, one[:]); err != nil {
		t.Fatal(err)
	}
	syscall.Shutdown(b, syscall.SHUT_WR)
	if !peerClosed(a) {
		t.Fatal("closed peer not reported")
	}
}
