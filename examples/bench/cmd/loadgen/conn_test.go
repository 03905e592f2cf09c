package main

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

// TestReadLinePrefix: lines end at LF with an optional CR, long lines keep
// only their prefix and the next line starts where the long one ended.
func TestReadLinePrefix(t *testing.T) {
	long := "data: 123 " + strings.Repeat("x", 10_000)
	in := "id: 1\r\n" + long + "\n\ndata: 1234567890123456789\r\nlast"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	want := []string{"id: 1", long[:prefixLen], "", "data: 1234567890123456789"}
	for i, w := range want {
		line, err := readLinePrefix(br)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if string(line) != w {
			t.Fatalf("line %d: %q, want %q", i, line, w)
		}
	}
	if _, err := readLinePrefix(br); err != io.EOF {
		t.Fatalf("unterminated last line: err %v, want EOF", err)
	}
}

// TestRead counts events at their blank lines, only those with data, and
// reports a stream that ends early.
func TestRead(t *testing.T) {
	in := "retry: 3000\n\n: heartbeat\n\nid: a\ndata: 5 pad\n\ndata:7\n\n"
	s := &streamConn{body: io.NopCloser(strings.NewReader(in)), want: 3}
	s.read()
	if len(s.lat) != 2 {
		t.Fatalf("%d events, want 2", len(s.lat))
	}
	if s.err != errShort {
		t.Fatalf("err %v, want errShort", s.err)
	}
	bad := &streamConn{body: io.NopCloser(strings.NewReader("data: nope\n\n")), want: 1}
	bad.read()
	if bad.err == nil {
		t.Fatal("data without a send time: no error")
	}
}
