package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// streamConn is one HTTP/1.1 event stream of the load generator: a plain
// TCP connection, a minimal request, and a scanner that takes only what it
// needs from each frame: the send time at the start of its data.
type streamConn struct {
	conn net.Conn
	body io.ReadCloser // the response body, de-chunked by net/http
	want int           // events to receive
	lat  []int64       // receive − send time of each event, in ns
	err  error         // why reading ended before want events, if it did
}

// dialStream connects to addr and requests path; it returns once the
// response headers arrived with status 200.
func dialStream(addr, path string, want int, timeout time.Duration) (*streamConn, error) {
	return dialStreamEncoded(addr, path, "", want, timeout)
}

// dialStreamEncoded is dialStream asking for the content codings accept
// (the Accept-Encoding header; none when empty): a gzip or deflate answer
// is decoded as it arrives.
func dialStreamEncoded(addr, path, accept string, want int, timeout time.Duration) (*streamConn, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n"
	if accept != "" {
		req += "Accept-Encoding: " + accept + "\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		_ = conn.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_ = conn.Close()
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	_ = conn.SetDeadline(time.Time{})
	body := resp.Body
	switch resp.Header.Get("Content-Encoding") {
	case "gzip":
		body = &decoded{raw: resp.Body, open: func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }}
	case "deflate":
		body = &decoded{raw: resp.Body, open: func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) }}
	}
	return &streamConn{conn: conn, body: body, want: want, lat: make([]int64, 0, want)}, nil
}

// decoded is a response body in a content coding, decoded as read; the
// decoder is made at the first read (it reads the header, which comes
// with the first frame).
type decoded struct {
	raw  io.ReadCloser
	open func(io.Reader) (io.Reader, error)
	r    io.Reader
}

func (d *decoded) Read(p []byte) (int, error) {
	if d.r == nil {
		r, err := d.open(d.raw)
		if err != nil {
			return 0, err
		}
		d.r = r
	}
	return d.r.Read(p)
}

func (d *decoded) Close() error { return d.raw.Close() }

// errShort marks a stream that ended before all its events arrived.
var errShort = errors.New("stream ended early")

// read receives events until want arrived, the stream ends or fails.
// Each event is dispatched at its blank line, as a browser does; only
// events with data count (a retry-only or comment frame is no event).
func (s *streamConn) read() {
	br := bufio.NewReaderSize(s.body, 4096)
	var (
		sent    int64
		hasData bool
	)
	for len(s.lat) < s.want {
		line, err := readLinePrefix(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errShort
			}
			s.err = err
			return
		}
		switch {
		case len(line) == 0:
			if hasData {
				s.lat = append(s.lat, time.Now().UnixNano()-sent)
			}
			hasData = false
		case bytes.HasPrefix(line, []byte("data:")):
			v := bytes.TrimPrefix(line[len("data:"):], []byte(" "))
			if i := bytes.IndexByte(v, ' '); i >= 0 {
				v = v[:i]
			}
			ns, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				s.err = fmt.Errorf("data %q: not a send time", v)
				return
			}
			sent, hasData = ns, true
		}
	}
}

// prefixLen is how much of a line readLinePrefix keeps: enough for a
// "data: " field and a send time; padding beyond it is skipped.
const prefixLen = 64

// readLinePrefix reads one line (LF-terminated, a CR before it dropped)
// and returns at most its first prefixLen bytes, valid until the next read.
func readLinePrefix(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		var head [prefixLen]byte
		n := copy(head[:], line)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			n += copy(head[n:], line)
		}
		if err != nil {
			return nil, err
		}
		b := head[:n]
		b = bytes.TrimSuffix(b, []byte("\n")) // the whole line fit in head
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > prefixLen {
		line = line[:prefixLen]
	}
	return line, nil
}

// close closes the connection (ending read).
func (s *streamConn) close() { _ = s.conn.Close() }
