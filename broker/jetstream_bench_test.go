package broker_test

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	mbroker "go-micro.dev/v4/broker"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// BenchmarkJetStreamPublish measures acknowledged publishes per second
// into the stream: one publisher waiting for each acknowledgement, and 16
// concurrent publishers (what a busy service's goroutines do).
func BenchmarkJetStreamPublish(b *testing.B) {
	ns := runNATS(b, b.TempDir(), -1)
	node := startNode(b, ns.ClientURL(), nil)
	benchAckedPublishes(b, node.broker)
}

// BenchmarkJetStreamPublishReplicated is BenchmarkJetStreamPublish on a
// cluster of three nats-servers (child processes) with a 3-replica stream
// the broker creates (JetStreamReplicas(3)): each acknowledgement waits for
// a quorum of two servers.
func BenchmarkJetStreamPublishReplicated(b *testing.B) {
	c := ssetest.StartNATSCluster(b, 3)
	node := clusterNode(b, c, 0, ssebroker.JetStreamReplicas(3))
	benchAckedPublishes(b, node.broker)
}

// benchAckedPublishes measures acknowledged publishes through br: one
// publisher waiting for each acknowledgement, then 16 at once.
func benchAckedPublishes(b *testing.B, br mbroker.Broker) {
	m := msg(`{"n":12345,"text":"a typical small JSON event body"}`+"\n", "Content-Type", "application/json")
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if err := br.Publish("bench", m); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acked/s")
	})
	b.Run("parallel=16", func(b *testing.B) {
		start := time.Now()
		b.SetParallelism(8) // 8 x GOMAXPROCS(2) = 16 publishers
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := br.Publish("bench", m); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "acked/s")
	})
}

// BenchmarkJetStreamFanOut measures end to end, publish to a client's
// read of the event, with the same 6,000 SSE clients served by three nodes
// (2,000 each) and by one node, in one run, the events published by a
// service of their own (acknowledged). Each op publishes a workload and
// waits until every client has read every event; it reports the latency
// p50 and p99, the delivered events per second (client reads / time from
// the first publish to the last read) and the share of that time spent
// publishing:
//
//   - paced: 100 events at 20 per second, one publisher (latency at a rate
//     the nodes keep up with);
//   - burst: 200 events from 8 concurrent publishers, as fast as they are
//     acknowledged (what the nodes deliver at most).
//
// The clients are raw TCP connections in this process: 6,000 streams are
// 12,000 open files here, under the 20,000 a process may have.
func BenchmarkJetStreamFanOut(b *testing.B) {
	for _, c := range []struct{ nodes, clients int }{{3, 2000}, {1, 6000}} {
		b.Run(fmt.Sprintf("nodes=%d/clients=%d", c.nodes, c.clients), func(b *testing.B) {
			ns := runNATS(b, b.TempDir(), -1)
			publisher := startNode(b, ns.ClientURL(), nil)
			var clients []*rawClient
			for range c.nodes {
				n := startNode(b, ns.ClientURL(), nil)
				for range c.clients {
					clients = append(clients, dialRaw(b, n.svc.Addr(), "bench"))
				}
			}
			b.Run("paced", func(b *testing.B) { benchmarkFanOut(b, publisher, clients, 100, 20, 1) })
			b.Run("burst", func(b *testing.B) { benchmarkFanOut(b, publisher, clients, 200, 0, 8) })
		})
	}
}

// benchmarkFanOut publishes events through publisher (at rate per second
// from one goroutine, or, with rate 0, from publishers goroutines as fast
// as acknowledged) and waits until every client has read them all.
func benchmarkFanOut(b *testing.B, publisher *jsNode, clients []*rawClient, events, rate, publishers int) {
	var lat []int64
	var delivered, elapsed, publishing float64
	for b.Loop() {
		var wg sync.WaitGroup
		for _, c := range clients {
			c.reset(events)
			wg.Add(1)
			go func() { defer wg.Done(); c.read(b, events) }()
		}
		start := time.Now()
		publishTimes(b, publisher, events, rate, publishers)
		publishing += time.Since(start).Seconds()
		wg.Wait()
		var last int64
		for _, c := range clients {
			lat = append(lat, c.lat...)
			last = max(last, c.last)
		}
		delivered += float64(len(clients) * events)
		elapsed += time.Unix(0, last).Sub(start).Seconds()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
	b.ReportMetric(delivered/elapsed, "delivered/s")
	// The share of the time spent publishing: near 1, the acknowledged
	// publishes, not the delivery, set the pace.
	b.ReportMetric(publishing/elapsed, "publish-share")
}

// publishTimes publishes n events whose data is the send time in Unix ns.
func publishTimes(b *testing.B, p *jsNode, n, rate, publishers int) {
	publish := func() {
		body := strconv.FormatInt(time.Now().UnixNano(), 10)
		if err := p.broker.Publish("bench", &mbroker.Message{Header: map[string]string{}, Body: []byte(body)}); err != nil {
			b.Error(err)
		}
	}
	if rate > 0 {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for range n {
			publish()
			<-tick.C
		}
		return
	}
	var wg sync.WaitGroup
	for w := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += publishers {
				publish()
			}
		}()
	}
	wg.Wait()
}

// rawClient is one SSE stream on a raw TCP connection: the least a client
// can cost, so that 6,000 of them fit beside the servers.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
	lat  []int64
	last int64 // when the last event was read (Unix ns)
}

// dialRaw opens GET /events?stream=topic on addr and reads the response
// header; the connection is closed when the benchmark ends.
func dialRaw(b *testing.B, addr, topic string) *rawClient {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "GET /events?stream=%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", topic, addr); err != nil {
		b.Fatal(err)
	}
	c := &rawClient{conn: conn, r: bufio.NewReaderSize(conn, 4096)}
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if len(line) <= 2 { // the blank line after the header
			return c
		}
	}
}

// reset prepares the client for a round of n events.
func (c *rawClient) reset(n int) { c.lat = make([]int64, 0, n) }

// read reads lines until n "data: <unix ns>" lines have come, recording
// each one's latency. Chunk-size lines of the chunked encoding and other
// fields are skipped (each write of the server is one chunk of whole
// frames, so a data line is never split).
func (c *rawClient) read(b *testing.B, n int) {
	_ = c.conn.SetReadDeadline(time.Now().Add(ssetest.Timeout))
	for len(c.lat) < n {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			b.Error(err)
			return
		}
		v, ok := cutData(line)
		if !ok {
			continue
		}
		sent, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			continue
		}
		now := time.Now().UnixNano()
		c.lat = append(c.lat, now-sent)
		c.last = now
	}
}

// cutData returns the value of a "data: " line.
func cutData(line []byte) ([]byte, bool) {
	const p = "data: "
	if len(line) < len(p)+1 || string(line[:len(p)]) != p {
		return nil, false
	}
	v := line[len(p) : len(line)-1]
	if len(v) > 0 && v[len(v)-1] == '\r' {
		v = v[:len(v)-1]
	}
	return v, true
}
