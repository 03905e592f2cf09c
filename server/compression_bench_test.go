package server

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/compress"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// dialEncoded sends an events request asking for accept ("" asks for
// nothing) on a raw TCP connection and reads the headers and the first
// chunk (the open frame), holding no buffer afterwards.
func dialEncoded(tb testing.TB, addr, query, accept string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	h := ""
	if accept != "" {
		h = "Accept-Encoding: " + accept + "\r\n"
	}
	fmt.Fprintf(c, "GET /events?%s HTTP/1.1\r\nHost: x\r\n%s\r\n", query, h)
	var got []byte
	var buf [512]byte
	for {
		n, err := c.Read(buf[:])
		if err != nil {
			tb.Fatalf("reading the stream's start: %v (%q)", err, got)
		}
		got = append(got, buf[:n]...)
		if _, body, ok := bytes.Cut(got, []byte("\r\n\r\n")); ok {
			if size, rest, ok := bytes.Cut(body, []byte("\r\n")); ok {
				if n, err := strconv.ParseInt(string(size), 16, 64); err == nil && len(rest) >= int(n)+2 {
					return c
				}
			}
		}
		if len(got) > 4096 {
			tb.Fatalf("no first chunk in %q", got)
		}
	}
}

// benchJSON returns an event of about size bytes of JSON whose fields
// repeat from event to event and whose values vary.
func benchJSON(i, size int) []byte {
	b := fmt.Appendf(nil, `{"seq":%d,"user":"user-%d","action":"updated","price":%d.%02d,"items":[`, i, i%97, i%1000, i%100)
	for j := 0; len(b) < size-40; j++ {
		if j > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"sku":"SKU-%05d","qty":%d,"warehouse":"wh-%d"}`, (i*31+j*7)%100000, 1+(i+j)%9, (i+j)%5)
	}
	return append(b, "]}"...)
}

// markerReader reads a compressed stream and counts its frames by the end
// every frame's deflate blocks have (the sync flush's empty stored block,
// 00 00 ff ff) followed by the chunk's CRLF, calling perFrame for each;
// it adds what it reads to wire.
func markerReader(c net.Conn, want int, done *sync.WaitGroup, perFrame func(), wire *atomic.Int64) {
	defer done.Done()
	marker := []byte{0, 0, 0xff, 0xff, '\r', '\n'}
	buf := make([]byte, readBuf)
	frames, matched := 0, 0
	for frames < want {
		n, err := c.Read(buf)
		wire.Add(int64(n))
		for _, ch := range buf[:n] {
			switch {
			case ch == marker[matched]:
				matched++
			case ch == 0 && matched == 2: // 00 00 00: still 00 00
			case ch == 0:
				matched = 1
			default:
				matched = 0
			}
			if matched == len(marker) {
				matched = 0
				frames++
				perFrame()
			}
		}
		if err != nil {
			return
		}
	}
}

// BenchmarkCompressedDelivery publishes one event at a time to 100 streams
// and waits until every stream has it (one write per event per stream,
// where the write path's own cost shows), for events of 200 B, 1 KiB and
// 4 KiB of JSON: plain, gzip compressed once per event and shared
// ("gzip-shared", the server), and a gzip writer per connection flushed per
// event ("gzip-per-connection", what other servers do: raw TCP, no hub, no
// HTTP). cpu-ns/delivered is the process's CPU (server and reading
// clients) per event per stream; wire-B/event the bytes a stream gets per
// event.
func BenchmarkCompressedDelivery(b *testing.B) {
	const conns = 100
	for _, size := range []int{200, 1024, 4096} {
		events := make([]*codec.Event, 256)
		for i := range events {
			events[i] = &codec.Event{Data: benchJSON(i, size)}
		}
		for _, accept := range []string{"", "gzip"} {
			name := map[string]string{"": "plain", "gzip": "gzip-shared"}[accept]
			b.Run(fmt.Sprintf("%s/%dB", name, size), func(b *testing.B) {
				f := newFixture(b, Heartbeat(time.Hour))
				var done, round sync.WaitGroup
				var wire atomic.Int64
				for range conns {
					c := dialEncoded(b, f.srv.Listener.Addr().String(), "stream=bench", accept)
					defer c.Close()
					done.Add(1)
					if accept == "" {
						go countingReader(byteCounter{c, &wire}, readBuf, b.N, &done, func() { round.Done() })
					} else {
						go markerReader(c, b.N, &done, round.Done, &wire)
					}
				}
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := range b.N {
					round.Add(conns)
					if _, err := f.hub.Publish("bench", events[i%len(events)]); err != nil {
						b.Fatal(err)
					}
					round.Wait()
				}
				done.Wait()
				b.StopTimer()
				report(b, cpu0, b.N*conns)
				b.ReportMetric(float64(wire.Load())/float64(b.N*conns), "wire-B/event")
			})
		}
		b.Run(fmt.Sprintf("gzip-per-connection/%dB", size), func(b *testing.B) {
			frames := make([][]byte, len(events))
			for i, ev := range events {
				ev := *ev
				ev.ID = "abcdefgh-" + strconv.Itoa(1000+i)
				frames[i], _ = ev.AppendTo(nil)
			}
			benchStreamingGzip(b, conns, frames)
		})
	}
}

// benchStreamingGzip delivers frames paced to conns raw TCP connections,
// each with a gzip writer of its own flushed per event.
func benchStreamingGzip(b *testing.B, conns int, frames [][]byte) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	type conn struct {
		srv    net.Conn
		gz     *kgzip.Writer
		out    bytes.Buffer
		target atomic.Int64 // bytes sent so far: the client's goal
		rounds atomic.Int64 // events sent so far
	}
	var round, done sync.WaitGroup
	cs := make([]*conn, conns)
	var wire atomic.Int64
	for i := range cs {
		cli, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer cli.Close()
		srv, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		c := &conn{srv: srv}
		c.gz, _ = kgzip.NewWriterLevel(&c.out, compress.DeflateLevel)
		cs[i] = c
		done.Add(1)
		go func() { // the client: a round is done when it has all that was sent
			defer done.Done()
			buf := make([]byte, readBuf)
			var read, reached int64
			for reached < int64(b.N) {
				n, err := cli.Read(buf)
				read += int64(n)
				wire.Add(int64(n))
				for reached < c.rounds.Load() && read >= c.target.Load() {
					reached++
					round.Done()
				}
				if err != nil {
					return
				}
			}
		}()
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		round.Add(conns)
		for _, c := range cs {
			c.out.Reset()
			_, _ = c.gz.Write(frames[i%len(frames)])
			_ = c.gz.Flush()
			c.target.Add(int64(c.out.Len()))
			c.rounds.Add(1)
			if _, err := c.srv.Write(c.out.Bytes()); err != nil {
				b.Fatal(err)
			}
		}
		round.Wait()
	}
	done.Wait()
	b.StopTimer()
	report(b, cpu0, b.N*conns)
	b.ReportMetric(float64(wire.Load())/float64(b.N*conns), "wire-B/event")
	runtime.KeepAlive(cs)
}

// byteCounter is a connection whose reads are counted.
type byteCounter struct {
	net.Conn
	n *atomic.Int64
}

func (c byteCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// BenchmarkCompressedIdleMemory is BenchmarkIdleConnectionMemory (shared
// writers) for streams that asked for nothing and for gzip streams: what an
// idle open stream costs the server, minus the bare TCP connection's.
// Run with -benchtime=1x.
func BenchmarkCompressedIdleMemory(b *testing.B) {
	const n = 2000
	for _, accept := range []string{"", "gzip"} {
		b.Run(map[string]string{"": "plain", "gzip": "gzip"}[accept], func(b *testing.B) {
			base := baselinePerConn(b, n)
			var perConn float64
			for range b.N {
				f := newFixture(b, Heartbeat(time.Hour))
				addr := f.srv.Listener.Addr().String()
				dialEncoded(b, addr, "stream=idle", accept).Close() // warm up writers and pools
				ssetest.Eventually(b, "the warm-up stream to end", func() bool {
					f.publish(b, "idle", "x")
					return f.e.Stats().Open == 0
				})
				before := liveHeap()
				conns := make([]net.Conn, n)
				for i := range conns {
					conns[i] = dialEncoded(b, addr, "stream=idle", accept)
				}
				ssetest.Eventually(b, "all streams open", func() bool {
					st := f.e.Stats()
					return st.Open == n && st.Shared == n
				})
				perConn += float64(liveHeap()-before)/n - base
				for _, c := range conns {
					c.Close()
				}
				f.e.Shutdown(b.Context())
			}
			b.ReportMetric(perConn/float64(b.N), "B/conn")
		})
	}
}
