package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStalledReaderGetsEveryEvent: a client that reads nothing while far
// more than its socket buffers take is published (so its writer hands it
// to a flusher) gets every event in order once it reads, and so does a
// client that reads all along.
func TestStalledReaderGetsEveryEvent(t *testing.T) {
	f := newFanout()
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	defer srv.Close()
	defer f.close()

	stalled := dial(t, srv.Listener.Addr().String())
	reading := dial(t, srv.Listener.Addr().String())
	const events = 2000 // × 4 KB: 8 MB
	pad := strings.Repeat("x", 4096)
	done := make(chan error, 1)
	go func() { done <- readEvents(reading, events, pad) }()
	for i := range events {
		f.publish(fmt.Appendf(nil, "%d %s", i, pad))
	}
	if err := readEvents(stalled, events, pad); err != nil {
		t.Fatalf("stalled client: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("reading client: %v", err)
	}
}

// dial opens a stream and returns it once its headers arrived.
func dial(t *testing.T, addr string) *bufio.Reader {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "GET /events?stream=bench HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("response %v, %v", resp, err)
	}
	return br
}

// readEvents reads n events and checks they are "data: i pad" in order.
func readEvents(br *bufio.Reader, n int, pad string) error {
	for i := range n {
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		if want := fmt.Sprintf("data: %d %s\n", i, pad); line != want {
			return fmt.Errorf("event %d: %.40q", i, line)
		}
		if blank, err := br.ReadString('\n'); err != nil || blank != "\n" {
			return fmt.Errorf("event %d: no blank line: %q %v", i, blank, err)
		}
	}
	return nil
}
