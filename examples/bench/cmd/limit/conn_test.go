package main

import (
	"syscall"
	"testing"
)

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

// TestWriteToFullAndEvicted: writeTo stops at a full socket, continues
// from the byte it stopped at, and fails once the log dropped its next
// bytes.
func TestWriteToFullAndEvicted(t *testing.T) {
	a, b := socketPair(t)
	l := &byteLog{}
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
	if c.pos >= l.head.Load() || !c.wrote || c.pending != nil {
		t.Fatalf("after the first write: pos %d wrote %v pending %q", c.pos, c.wrote, c.pending)
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
	// Behind by more than the log holds: its next bytes are gone.
	for l.head.Load() < logBlocks*blockSize+1 {
		l.append(frame)
	}
	c.pos = 1
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
