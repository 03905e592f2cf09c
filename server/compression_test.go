package server

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// rawStream is an events response read with its Content-Encoding decoded
// by Go's own readers (not the transport's): what a browser gets.
type rawStream struct {
	resp   *http.Response
	events chan *codec.Event
	done   chan struct{}

	mu   sync.Mutex
	text bytes.Buffer // the decoded stream
	err  error        // why it ended: io.EOF for a clean end
}

// openRaw opens url with Accept-Encoding accept (none when empty) and
// lastID, the transport's own compression off.
func openRaw(t *testing.T, url, lastID, accept string) *rawStream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	tr := &http.Transport{DisableKeepAlives: true, DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	s := &rawStream{resp: resp, events: make(chan *codec.Event, 1024), done: make(chan struct{})}
	t.Cleanup(func() { resp.Body.Close(); <-s.done })
	go s.read()
	return s
}

func (s *rawStream) read() {
	defer close(s.done)
	defer close(s.events)
	var body io.Reader = s.resp.Body
	var err error
	switch s.resp.Header.Get("Content-Encoding") {
	case "gzip":
		body, err = gzip.NewReader(body)
	case "deflate":
		body, err = zlib.NewReader(body)
	}
	if err != nil {
		s.end(err)
		return
	}
	dec := codec.NewDecoder(io.TeeReader(body, s))
	for {
		ev, err := dec.Decode()
		if err != nil {
			s.end(err)
			return
		}
		s.events <- ev
	}
}

// Write records decoded bytes.
func (s *rawStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.Write(p)
}

func (s *rawStream) end(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// next returns the next event, failing after ssetest.Timeout.
func (s *rawStream) next(t *testing.T) *codec.Event {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatalf("stream ended: %v", s.err)
		}
		return ev
	case <-time.After(ssetest.Timeout):
		t.Fatal("no event")
	}
	return nil
}

// wait waits for the end and returns why and the decoded text.
func (s *rawStream) wait(t *testing.T) (error, string) {
	t.Helper()
	for {
		select {
		case _, ok := <-s.events:
			if ok {
				continue
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.err, s.text.String()
		case <-time.After(ssetest.Timeout):
			t.Fatal("the stream did not end")
		}
	}
}

// heartbeats matches the heartbeat comments, which come at times of their
// own on each connection.
var heartbeats = regexp.MustCompile(`(?m)^: heartbeat\n\n`)

// TestCompressedStreamsDecodeToThePlainStream: in both write modes, a gzip
// and a zlib stream and a plain one resuming from the same id get the same
// events, each live one before the next is published (every frame is
// flushed decodable), heartbeats inside the encoded stream, and at Stop
// the shutdown hint and a trailer whose checksum and length Go's readers
// verify: the decoded streams are the plain one byte for byte.
func TestCompressedStreamsDecodeToThePlainStream(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			f := newFixture(t, append(m.opts, Heartbeat(30*time.Millisecond), ShutdownJitter(-1))...)
			var last string
			for i := range 20 {
				id := f.publish(t, "a", `{"n":`+strconv.Itoa(i)+`,"user":"ada","items":["sku-1","sku-2","sku-3"]}`)
				if i == 4 {
					last = id
				}
			}
			var streams []*rawStream
			for _, accept := range []string{"", "gzip", "deflate", "gzip, deflate, br, zstd"} {
				s := openRaw(t, f.url("stream=a"), last, accept)
				want := map[string]string{"": "", "gzip": "gzip", "deflate": "deflate", "gzip, deflate, br, zstd": "gzip"}[accept]
				if got := s.resp.Header.Get("Content-Encoding"); got != want {
					t.Fatalf("Accept-Encoding %q: Content-Encoding %q, want %q", accept, got, want)
				}
				if v := s.resp.Header.Get("Vary"); v != "Accept-Encoding" {
					t.Fatalf("Vary %q", v)
				}
				streams = append(streams, s)
			}
			for _, s := range streams {
				for i := 5; i < 20; i++ {
					if ev := s.next(t); !strings.Contains(string(ev.Data), `"n":`+strconv.Itoa(i)+`,`) {
						t.Fatalf("replayed %q, want event %d", ev.Data, i)
					}
				}
			}
			for i := 20; i < 25; i++ {
				f.publish(t, "a", `{"n":`+strconv.Itoa(i)+`}`)
				for _, s := range streams { // each live event decodable before the next is sent
					if ev := s.next(t); string(ev.Data) != `{"n":`+strconv.Itoa(i)+`}` {
						t.Fatalf("live %q, want event %d", ev.Data, i)
					}
				}
				time.Sleep(40 * time.Millisecond) // a heartbeat or two between events
			}
			if err := f.e.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			var plain string
			for k, s := range streams {
				err, text := s.wait(t)
				if !errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("stream %d (%s) ended with %v, want a clean end (trailer verified)", k, s.resp.Header.Get("Content-Encoding"), err)
				}
				if !heartbeats.MatchString(text) {
					t.Fatalf("stream %d: no heartbeat in %q", k, text)
				}
				text = heartbeats.ReplaceAllString(text, "")
				if !strings.Contains(text, ": shutdown\n") {
					t.Fatalf("stream %d: no shutdown hint at its end: %q", k, text[max(0, len(text)-80):])
				}
				if k == 0 {
					plain = text
				} else if text != plain {
					t.Fatalf("stream %d decoded\n%q\nplain\n%q", k, text, plain)
				}
			}
		})
	}
}

// TestCompressionNegotiation: the encoding chosen from Accept-Encoding
// and the server's Compression option; never one the client did not ask
// for, and no Vary when compression is off.
func TestCompressionNegotiation(t *testing.T) {
	cases := []struct {
		opts       []server.Option
		accept     string
		want, vary string
	}{
		{nil, "", "", "Accept-Encoding"},
		{nil, "gzip, deflate", "gzip", "Accept-Encoding"},
		{nil, "deflate", "deflate", "Accept-Encoding"},
		{nil, "zstd, br", "", "Accept-Encoding"},
		{nil, "gzip;q=0, deflate;q=0.5", "deflate", "Accept-Encoding"},
		{nil, "identity", "", "Accept-Encoding"},
		{[]server.Option{Compression("deflate", "gzip")}, "gzip, deflate", "deflate", "Accept-Encoding"},
		{[]server.Option{Compression("gzip")}, "deflate", "", "Accept-Encoding"},
		{[]server.Option{Compression("zstd", "br")}, "zstd, br, gzip", "", ""},
		{[]server.Option{Compression()}, "gzip, deflate", "", ""},
		{[]server.Option{Headers(http.Header{"Content-Encoding": {"br"}})}, "", "", "Accept-Encoding"},
	}
	for _, c := range cases {
		f := newFixture(t, c.opts...)
		s := openRaw(t, f.url("stream=a"), "", c.accept)
		if got := s.resp.Header.Get("Content-Encoding"); got != c.want {
			t.Errorf("Accept-Encoding %q, %d options: Content-Encoding %q, want %q", c.accept, len(c.opts), got, c.want)
		}
		if got := s.resp.Header.Get("Vary"); got != c.vary {
			t.Errorf("Accept-Encoding %q, %d options: Vary %q, want %q", c.accept, len(c.opts), got, c.vary)
		}
		f.publish(t, "a", "x")
		if ev := s.next(t); string(ev.Data) != "x" {
			t.Errorf("event %q", ev.Data)
		}
		s.resp.Body.Close()
	}
}

// TestCurlDecodesTheCompressedStream: curl --compressed -N gets the same
// stream as a plain client, for each encoding, and exits 0 at Stop (it
// checks the trailer).
func TestCurlDecodesTheCompressedStream(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			f := newFixture(t, append(m.opts, Heartbeat(time.Hour), ShutdownJitter(-1))...)
			var last string
			for i := range 10 {
				if id := f.publish(t, "a", strings.Repeat(`{"n":`+strconv.Itoa(i)+`} `, 20)); i == 2 {
					last = id
				}
			}
			plain := openRaw(t, f.url("stream=a"), last, "")
			type curl struct {
				cmd *exec.Cmd
				out lockedBuffer
			}
			var curls []*curl
			for _, accept := range []string{"", "Accept-Encoding: gzip", "Accept-Encoding: deflate"} {
				args := []string{"--compressed", "-N", "-s", "-S", "--max-time", "60", "-H", "Last-Event-ID: " + last, "-D", "-"}
				if accept != "" {
					args = append(args, "-H", accept)
				}
				c := &curl{cmd: exec.Command("curl", append(args, f.url("stream=a"))...)}
				c.cmd.Stdout = &c.out
				if err := c.cmd.Start(); err != nil {
					t.Fatal(err)
				}
				curls = append(curls, c)
			}
			f.publish(t, "a", "live")
			plain.next(t)
			for k, c := range curls { // Stop does not wait for what is still due
				ssetest.Eventually(t, fmt.Sprintf("curl %d got the live event", k), func() bool { return strings.Contains(c.out.String(), "data: live\n") })
			}
			if err := f.e.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, want := plain.wait(t)
			for k, c := range curls {
				if err := c.cmd.Wait(); err != nil {
					t.Fatalf("curl %d: %v", k, err)
				}
				r := struct{ out []byte }{[]byte(c.out.String())}
				head, body, _ := bytes.Cut(r.out, []byte("\r\n\r\n"))
				enc := []string{"gzip", "gzip", "deflate"}[k]
				if !bytes.Contains(bytes.ToLower(head), []byte("content-encoding: "+enc)) {
					t.Fatalf("curl %d: headers %q, want %s", k, head, enc)
				}
				if string(body) != want {
					t.Fatalf("curl %d (%s) got\n%q\nwant\n%q", k, enc, body, want)
				}
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer written by one goroutine and read by
// another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
