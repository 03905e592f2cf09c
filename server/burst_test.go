//go:build unix

package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// dialStream sends an events request for topics on a raw TCP connection
// whose receive buffer is rcvbuf bytes (0: the system's), with lastID as
// Last-Event-ID, and returns the connection; nothing is read.
func dialStream(t testing.TB, addr string, topics []string, lastID string, rcvbuf int) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		if rcvbuf == 0 {
			return nil
		}
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
		return cmpErr(err, serr)
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	q := url.Values{"stream": topics}
	req := fmt.Sprintf("GET /events?%s HTTP/1.1\r\nHost: x\r\n", q.Encode())
	if lastID != "" {
		req += "Last-Event-ID: " + lastID + "\r\n"
	}
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	return c
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// reader reads a stream in a goroutine of its own, keeping every event.
type reader struct {
	mu   sync.Mutex
	evs  []*codec.Event
	err  error
	more chan struct{} // signalled on every event
}

func readEvents(t testing.TB, c net.Conn) *reader {
	t.Helper()
	r := &reader{more: make(chan struct{}, 1)}
	go func() {
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 64<<10), nil)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if err != nil {
			r.mu.Lock()
			r.err = err
			r.mu.Unlock()
			return
		}
		dec := codec.NewDecoder(resp.Body)
		for {
			ev, err := dec.Decode()
			r.mu.Lock()
			if err != nil {
				r.err = err
				r.mu.Unlock()
				return
			}
			r.evs = append(r.evs, ev)
			r.mu.Unlock()
			select {
			case r.more <- struct{}{}:
			default:
			}
		}
	}()
	return r
}

// wait waits until the reader has n events (a liveness bound of a
// minute, not a timing assertion) and returns them.
func (r *reader) wait(t testing.TB, n int) []*codec.Event {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		r.mu.Lock()
		got, err := len(r.evs), r.err
		r.mu.Unlock()
		if got >= n {
			r.mu.Lock()
			defer r.mu.Unlock()
			return slices.Clone(r.evs)
		}
		if err != nil {
			t.Fatalf("stream ended after %d of %d events: %v", got, n, err)
		}
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("a minute with %d of %d events", got, n)
		}
	}
}

// TestBurstReachesEveryReader: 5 readers and a client that never reads (a
// small receive buffer) on one topic of a go-micro service; 3,000 events of
// 4 KB published through srv.Publish as fast as it returns. Every reader
// gets all 3,000, in order: none is cut off while what it lacks is in the
// history (3,000 events here). The stalled client is not ended by the
// burst; it is ended (counted as evicted) once its position leaves the
// history, which takes more events.
func TestBurstReachesEveryReader(t *testing.T) {
	const (
		readers = 5
		burst   = 3000
		size    = 4 << 10
	)
	b := ssebroker.NewBroker(ssebroker.MaxHistoryEvents(burst), ssebroker.MaxHistoryBytes(64<<20))
	srv := newServer(sse.WriteTimeout(10 * time.Minute)) // the deadline never ends the stalled client here
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "burst", Broker: b})
	addr := svc.Addr()
	dialStream(t, addr, []string{"burst"}, "", 4096) // the stalled client
	rs := make([]*reader, readers)
	for i := range rs {
		rs[i] = readEvents(t, dialStream(t, addr, []string{"burst"}, "", 0))
	}
	ssetest.Eventually(t, "6 streams open", func() bool { return srv.Stats().Endpoint.Open == readers+1 })

	data := strings.Repeat("d", size)
	var ids []string
	ev := &codec.Event{}
	publish := func(i int) time.Duration {
		ev.Data = []byte(fmt.Sprintf("%05d %s", i, data))
		start := time.Now()
		if err := srv.Publish(context.Background(), "burst", ev); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	var took []time.Duration
	for i := 0; i < burst; i++ {
		took = append(took, publish(i))
	}
	slices.Sort(took)
	t.Logf("%d publishes of %d B: slowest %v, median %v, p99 %v", burst, size, took[len(took)-1], took[len(took)/2], took[len(took)*99/100])

	var first []*codec.Event
	for i, r := range rs {
		evs := r.wait(t, burst)
		if i == 0 {
			first = evs
		}
		for k, e := range evs[:burst] {
			if !strings.HasPrefix(string(e.Data), fmt.Sprintf("%05d ", k)) || e.ID != first[k].ID {
				t.Fatalf("reader %d event %d: %q (id %s), want event %d (id %s)", i, k, string(e.Data)[:8], e.ID, k, first[k].ID)
			}
		}
	}
	for _, e := range first {
		ids = append(ids, e.ID)
	}
	st := srv.Stats()
	if st.Endpoint.Open != readers+1 || st.Endpoint.CutOffSlow != 0 || st.Endpoint.WriteFailed != 0 {
		t.Fatalf("after the burst, every reader got it all, and the stalled client must still be open: %+v", st.Endpoint)
	}
	// More events push the stalled client's position out of the history:
	// then, and only then, it is ended.
	extra := 0
	for ; srv.Stats().Endpoint.CutOffSlow == 0; extra++ {
		if extra == 2*burst {
			t.Fatalf("%d more events did not end the stalled client: %+v", extra, srv.Stats().Endpoint)
		}
		publish(burst + extra)
	}
	ssetest.Eventually(t, "the stalled stream to end", func() bool { return srv.Stats().Endpoint.Open == readers })
	for i, r := range rs {
		evs := r.wait(t, burst+extra)
		if !strings.HasPrefix(string(evs[burst+extra-1].Data), fmt.Sprintf("%05d ", burst+extra-1)) {
			t.Fatalf("reader %d: last event %q", i, string(evs[burst+extra-1].Data)[:8])
		}
	}
	st = srv.Stats()
	t.Logf("the stalled client was ended (evicted) after %d more events; stats %+v", extra, st.Endpoint)
	if st.Endpoint.CutOffSlow != 1 || st.Endpoint.WriteFailed != 0 {
		t.Fatalf("want exactly the stalled client evicted: %+v", st.Endpoint)
	}
}

// TestForgedLastEventIDMemoryBounded: 100 connections with
// "Last-Event-ID: garbage" on 16 topics whose history is full (1,000
// events of 1 KB each), whose clients read nothing. Each is placed before
// the whole history (the reset, then 16,000 events), and none copies it:
// what a connection holds of its own is one batch of references to the
// history's frames, so the heap grows by less than connections x
// hub.BatchBytes. A reading client among them gets the reset and every
// event the history holds, in order, then live ones.
func TestForgedLastEventIDMemoryBounded(t *testing.T) {
	const (
		conns  = 100
		topics = 16
		perTop = 1000
	)
	b := ssebroker.NewBroker(ssebroker.MaxHistoryEvents(perTop), ssebroker.MaxReplay(1<<20))
	srv := newServer(sse.WriteTimeout(10*time.Minute), sse.MaxTopicsPerConnection(topics))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "forged", Broker: b})
	names := make([]string, topics)
	for i := range names {
		names[i] = fmt.Sprintf("t%02d", i)
	}
	data := strings.Repeat("f", 1000)
	for i := 0; i < perTop; i++ {
		for k, n := range names {
			if err := srv.Publish(context.Background(), n, &codec.Event{Data: []byte(fmt.Sprintf("%s %04d %s", n, i, data[:990-k]))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	hs := srv.Stats()
	if hs.HistoryEvents != topics*perTop {
		t.Fatalf("history not full: %+v", hs.HubStats)
	}

	before := ssetest.MemAfterGC().HeapAlloc
	for i := 0; i < conns; i++ {
		dialStream(t, svc.Addr(), names, "garbage", 4096)
	}
	ssetest.Eventually(t, "100 streams open", func() bool { return srv.Stats().Endpoint.Open == conns })
	// Until their sockets are full: nothing more is read for them.
	for quiet, last := 0, uint64(0); quiet < 5; {
		time.Sleep(50 * time.Millisecond)
		if d := srv.Stats().Delivered; d == last {
			quiet++
		} else {
			quiet, last = 0, d
		}
	}
	grown := int64(ssetest.MemAfterGC().HeapAlloc) - int64(before)
	bound := int64(conns * hub.BatchBytes)
	t.Logf("history %d MiB; %d stalled connections with a forged id: heap +%d KiB (%d B each; bound %d KiB: %d x BatchBytes)",
		hs.HistoryBytes>>20, conns, grown>>10, grown/conns, bound>>10, conns)
	if grown > bound {
		t.Fatalf("heap grew %d KiB for %d connections, over the bound of %d KiB", grown>>10, conns, bound>>10)
	}

	// A reader among them: the reset, then exactly what the history holds.
	r := readEvents(t, dialStream(t, svc.Addr(), names, "garbage", 0))
	evs := r.wait(t, 1+topics*perTop)
	if evs[0].Event != codec.ResetEventType || !strings.Contains(string(evs[0].Data), `"`+codec.ResetInvalid+`"`) {
		t.Fatalf("first event %+v, want %s (%s)", evs[0], codec.ResetEventType, codec.ResetInvalid)
	}
	for i, e := range evs[1:] {
		want := fmt.Sprintf("%s %04d ", names[i%topics], i/topics)
		if !strings.HasPrefix(string(e.Data), want) {
			t.Fatalf("event %d: %q, want %q...", i, string(e.Data)[:12], want)
		}
	}
	if err := srv.Publish(context.Background(), names[3], &codec.Event{Data: []byte("live")}); err != nil {
		t.Fatal(err)
	}
	if e := r.wait(t, 2+topics*perTop)[1+topics*perTop]; string(e.Data) != "live" {
		t.Fatalf("live event %q", e.Data)
	}
}

// TestSocketTakingNothingEndsAtWriteTimeout: a client whose socket takes
// nothing, while its position is still in the history, is ended by the
// per-write deadline (WriteTimeout) and counted as a failed write, in
// both write modes.
func TestSocketTakingNothingEndsAtWriteTimeout(t *testing.T) {
	for name, mode := range map[string][]server.Option{"goroutine": {sse.GoroutinePerStream()}, "shared": nil} {
		t.Run(name, func(t *testing.T) {
			b := ssebroker.NewBroker(ssebroker.MaxHistoryBytes(64 << 20))
			srv := newServer(append(mode, sse.WriteTimeout(300*time.Millisecond))...)
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "deadline", Broker: b})
			dialStream(t, svc.Addr(), []string{"full"}, "", 4096)
			ssetest.Eventually(t, "the stream open", func() bool { return srv.Stats().Endpoint.Open == 1 })
			data := []byte(strings.Repeat("w", 16<<10))
			for i := 0; i < 2000; i++ { // 32 MiB, held by the history, more than the sockets take
				if err := srv.Publish(context.Background(), "full", &codec.Event{Data: data}); err != nil {
					t.Fatal(err)
				}
			}
			ssetest.Eventually(t, "the stalled stream ended by its deadline", func() bool { return srv.Stats().Endpoint.Open == 0 })
			if st := srv.Stats().Endpoint; st.WriteFailed != 1 || st.CutOffSlow != 0 {
				t.Fatalf("counts %+v, want one failed write, no cut-off", st)
			}
		})
	}
}
