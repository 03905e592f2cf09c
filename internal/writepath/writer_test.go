package writepath

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http/httputil"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// testOwner is the endpoint's side of a stream in these tests: it records
// how the writers ended the stream.
type testOwner struct {
	Stream
	finished chan error
}

func (o *testOwner) WriteState() *Stream                              { return &o.Stream }
func (o *testOwner) Finish(err error)                                 { o.finished <- err }
func (o *testOwner) Notify()                                          {}
func (o *testOwner) EndFrame(error) []byte                            { return nil }
func (o *testOwner) WriteEnd(context.Context, error, time.Time) error { return ErrWrite }

// TestPoolWritesChunksThenShutdownHint: a taken-over stream gets each
// published event as HTTP/1.1 chunks on its connection; when the endpoint
// shuts down (Config.Done, Stop) it gets the shutdown hint and the last
// chunk, and its owner is told it ended because the hub closed. The
// writers' goroutines all end (Config.Go).
func TestPoolWritesChunksThenShutdownHint(t *testing.T) {
	h := hub.New()
	defer h.Close()
	done := make(chan struct{})
	var wg sync.WaitGroup
	p := NewPool(Config{
		HeartbeatFrame: []byte(": heartbeat\n\n"),
		Heartbeat:      time.Hour,
		Bye:            func() []byte { return []byte(": shutdown\n\n") },
		Deadline:       func() time.Time { return time.Now().Add(10 * time.Second) },
		ByeDeadline:    func() time.Time { return time.Now().Add(time.Second) },
		Done:           done,
		Go: func(f func()) {
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
		},
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}

	o := &testOwner{finished: make(chan error, 1)}
	p.Assign(&o.Stream)
	sub, err := h.Subscribe([]string{"t"}, "", o.SubscribeOptions(o)...)
	if err != nil {
		t.Fatal(err)
	}
	o.Sub = sub
	o.Conn.Init(server)
	p.Add(&o.Stream)
	for _, d := range []string{"one", "two"} {
		if _, err := h.Publish("t", &codec.Event{Data: []byte(d)}); err != nil {
			t.Fatal(err)
		}
	}

	body := bufio.NewReader(httputil.NewChunkedReader(bufio.NewReader(client)))
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got strings.Builder
	for !strings.Contains(got.String(), "data: two\n") {
		line, err := body.ReadString('\n')
		got.WriteString(line)
		if err != nil {
			t.Fatalf("read %q, then %v", got.String(), err)
		}
	}
	if i, j := strings.Index(got.String(), "data: one\n"), strings.Index(got.String(), "data: two\n"); i < 0 || i > j {
		t.Fatalf("read %q: want both events in order", got.String())
	}

	close(done)
	p.Stop()
	rest, err := io.ReadAll(body) // the chunked reader ends at the last chunk
	if err != nil {
		t.Fatalf("after shutdown: read %q, then %v", rest, err)
	}
	if !strings.Contains(string(rest), ": shutdown\n") {
		t.Fatalf("after shutdown: read %q, want the shutdown hint", rest)
	}
	select {
	case err := <-o.finished:
		if !errors.Is(err, hub.ErrClosed) {
			t.Fatalf("the stream ended with %v, want hub.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the owner was never told the stream ended")
	}
	wg.Wait()
	sub.Close()
}
