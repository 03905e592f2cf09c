package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// dialEvents sends an events request on a raw TCP connection and reads up
// to the retry frame sent on open, holding no buffer afterwards.
func dialEvents(tb testing.TB, addr, query string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(c, "GET /events?%s HTTP/1.1\r\nHost: x\r\n\r\n", query)
	var got []byte
	var buf [512]byte
	for i := -1; i < 0 || !bytes.Contains(got[i:], []byte("\n\n")); i = bytes.Index(got, []byte("retry: ")) {
		n, err := c.Read(buf[:])
		if err != nil {
			tb.Fatalf("reading the stream's start: %v (%q)", err, got)
		}
		got = append(got, buf[:n]...)
		if len(got) > 4096 {
			tb.Fatalf("no retry frame in %q", got)
		}
	}
	return c
}

// liveHeap is the memory in use: heap objects and goroutine stacks.
func liveHeap() uint64 {
	ms := ssetest.MemAfterGC()
	return ms.HeapAlloc + ms.StackInuse
}

// baselinePerConn is the memory of n bare loopback TCP connections, both
// ends, held by a plain listener: what any server pays before HTTP.
func baselinePerConn(b *testing.B, n int) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, n)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	before := liveHeap()
	clients := make([]net.Conn, n)
	for i := range clients {
		if clients[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			b.Fatal(err)
		}
	}
	servers := make([]net.Conn, n)
	for i := range servers {
		servers[i] = <-accepted
	}
	after := liveHeap()
	for i := range clients {
		clients[i].Close()
		servers[i].Close()
	}
	return float64(after-before) / float64(n)
}

// BenchmarkIdleConnectionMemory measures what an idle open stream costs the
// server: memory (heap and stacks, minus the bare TCP connection's) and
// goroutines per connection, for 2,000 idle streams. Run with -benchtime=1x.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 2000
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			base := baselinePerConn(b, n)
			var perConn, goroutines float64
			for range b.N {
				f := newFixture(b, append(m.opts, Heartbeat(time.Hour))...)
				addr := f.srv.Listener.Addr().String()
				// Warm up the writers and pools so they are not counted.
				dialEvents(b, addr, "stream=idle").Close()
				ssetest.Eventually(b, "the warm-up stream to end", func() bool {
					f.publish(b, "idle", "x")
					return f.e.Stats().Open == 0
				})
				g0 := runtime.NumGoroutine()
				before := liveHeap()
				conns := make([]net.Conn, n)
				for i := range conns {
					conns[i] = dialEvents(b, addr, "stream=idle")
				}
				ssetest.Eventually(b, "all streams open", func() bool {
					st := f.e.Stats()
					return st.Open == n && (m.opts != nil || st.Shared == n)
				})
				after := liveHeap()
				goroutines += float64(runtime.NumGoroutine()-g0) / n
				perConn += float64(after-before)/n - base
				for _, c := range conns {
					c.Close()
				}
				f.e.Shutdown(b.Context())
			}
			b.ReportMetric(perConn/float64(b.N), "B/conn")
			b.ReportMetric(goroutines/float64(b.N), "goroutines/conn")
			b.ReportMetric(base, "tcp-B/conn")
		})
	}
}

// Read buffer sizes of countingReader: readBuf for a few streams,
// smallReadBuf when thousands run at once.
const (
	readBuf      = 64 << 10
	smallReadBuf = 4 << 10
)

// countingReader reads a stream with a buffer of bufSize bytes and counts
// its frames (each ends in a blank line: "\n\n"; neither chunk framing nor
// data holds one), calling perFrame (if set) for each; done is Done after
// want frames.
func countingReader(c net.Conn, bufSize, want int, done *sync.WaitGroup, perFrame func()) {
	defer done.Done()
	buf := make([]byte, bufSize)
	frames, prevLF := 0, false
	for frames < want {
		n, err := c.Read(buf)
		for _, ch := range buf[:n] {
			switch {
			case ch != '\n':
				prevLF = false
			case prevLF: // the codec ends a frame with LF LF; chunk framing has CRLF only
				frames++
				prevLF = false
				if perFrame != nil {
					perFrame()
				}
			default:
				prevLF = true
			}
		}
		if err != nil { // io.EOF or closed: the count stays short and Wait would hang, so stop
			return
		}
	}
}

// cpuTime is the CPU (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds the per-delivered-event metrics: wall time and process CPU
// (publisher, server and the reading clients alike) per event per stream.
func report(b *testing.B, cpu0 time.Duration, delivered int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(delivered), "ns/delivered")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(delivered), "cpu-ns/delivered")
}

// BenchmarkDeliver publishes b.N events as fast as it can to 100 streams
// over loopback HTTP and waits until every stream has read them. The
// writers batch what piles up (one write per wake-up). "write-per-event"
// is the same traffic written with one write(2) per event per connection,
// with no hub and no HTTP: the cost the batching avoids.
func BenchmarkDeliver(b *testing.B) {
	const conns = 100
	frame, _ := (&codec.Event{ID: "abcdefgh-123456", Data: []byte(strings.Repeat("x", 64))}).AppendTo(nil)
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			f := newFixture(b, append(m.opts, Heartbeat(time.Hour), OwnHub(ssebroker.MaxHistoryEvents(1<<20), ssebroker.MaxHistoryBytes(1<<30), ssebroker.HistoryBudget(1<<30)))...)
			var done sync.WaitGroup
			for range conns {
				c := dialEvents(b, f.srv.Listener.Addr().String(), "stream=bench")
				defer c.Close()
				done.Add(1)
				go countingReader(c, readBuf, b.N, &done, nil)
			}
			ev := &codec.Event{Data: []byte(strings.Repeat("x", 64))}
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				if _, err := f.hub.Publish("bench", ev); err != nil {
					b.Fatal(err)
				}
			}
			done.Wait()
			b.StopTimer()
			report(b, cpu0, b.N*conns)
		})
	}
	b.Run("write-per-event", func(b *testing.B) {
		servers, done, closeAll := rawPairs(b, conns, nil)
		defer closeAll()
		b.ResetTimer()
		cpu0 := cpuTime()
		for range b.N {
			for _, s := range servers {
				if _, err := s.Write(frame); err != nil {
					b.Fatal(err)
				}
			}
		}
		done.Wait()
		b.StopTimer()
		report(b, cpu0, b.N*conns)
	})
}

// rawPairs connects n loopback TCP pairs with no HTTP in between: it
// returns the server ends, a WaitGroup done when each client end (read by
// countingReader, calling perEvent after each event) has read b.N events,
// and a func that closes everything.
func rawPairs(b *testing.B, n int, perEvent func()) ([]net.Conn, *sync.WaitGroup, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	all := []io.Closer{ln}
	closeAll := func() {
		for _, c := range all {
			c.Close()
		}
	}
	done := new(sync.WaitGroup)
	servers := make([]net.Conn, n)
	for i := range servers {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			closeAll()
			b.Fatal(err)
		}
		all = append(all, c)
		if servers[i], err = ln.Accept(); err != nil {
			closeAll()
			b.Fatal(err)
		}
		all = append(all, servers[i])
		done.Add(1)
		go countingReader(c, readBuf, b.N, done, perEvent)
	}
	return servers, done, closeAll
}

// BenchmarkDeliverPaced publishes one event at a time to 100 streams and
// waits until every stream has read it before the next: no batching, one
// write per event per stream, the case where the write path's own cost
// shows. "write-per-event" is the reference beside it (not a limit: the
// limit server of examples/bench batches): one write(2) per event per
// connection by one goroutine, same readers, no hub and no HTTP.
func BenchmarkDeliverPaced(b *testing.B) {
	const conns = 100
	var round sync.WaitGroup
	frame, _ := (&codec.Event{ID: "abcdefgh-123456", Data: []byte(strings.Repeat("x", 64))}).AppendTo(nil)
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			f := newFixture(b, append(m.opts, Heartbeat(time.Hour))...)
			var done sync.WaitGroup
			for range conns {
				c := dialEvents(b, f.srv.Listener.Addr().String(), "stream=bench")
				defer c.Close()
				done.Add(1)
				go countingReader(c, readBuf, b.N, &done, round.Done)
			}
			ev := &codec.Event{Data: []byte(strings.Repeat("x", 64))}
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				round.Add(conns)
				if _, err := f.hub.Publish("bench", ev); err != nil {
					b.Fatal(err)
				}
				round.Wait()
			}
			done.Wait()
			b.StopTimer()
			report(b, cpu0, b.N*conns)
		})
	}
	b.Run("write-per-event", func(b *testing.B) {
		servers, done, closeAll := rawPairs(b, conns, round.Done)
		defer closeAll()
		b.ResetTimer()
		cpu0 := cpuTime()
		for range b.N {
			round.Add(conns)
			for _, s := range servers {
				if _, err := s.Write(frame); err != nil {
					b.Fatal(err)
				}
			}
			round.Wait()
		}
		done.Wait()
		b.StopTimer()
		report(b, cpu0, b.N*conns)
	})
}
