package server_test

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
	"github.com/go-micro-sse/go-micro-sse/server/metrics"
)

var (
	soakFor     = flag.Duration("soak", 0, "how long TestSoak's clients come and go (default 15s, 3s with -short)")
	soakClients = flag.Int("soak.clients", 2000, "TestSoak's clients (each holds two sockets of the process: its own and the server's)")
	soakRate    = flag.Int("soak.rate", 200, "events TestSoak publishes per second, over all topics")
	soakSeed    = flag.Uint64("soak.seed", 0, "seed of TestSoak's random choices (0: from the clock; logged)")
)

// soakTopics are the topics of the soak; each client follows one to three.
const soakTopics = 16

// TestSoak: thousands of clients connect, read, stall and leave at random
// while publishers run; a client that left comes back with its
// Last-Event-ID. At the end every client has received every event of its
// topics since its first connection exactly once and in order (it also
// connects the first time with the id of the newest event, so nothing
// published meanwhile is missed), no stream was cut off or reset (the
// history holds everything: a reader behind a burst is never cut off),
// the Prometheus counters agree with what the clients counted, and, once
// the service stopped, the goroutines and the heap are back near where
// they started. -soak sets how long the clients churn (e.g. -soak=10m),
// -soak.clients how many (mind the file limit: two sockets each).
func TestSoak(t *testing.T) {
	churn := *soakFor
	switch {
	case churn > 0:
	case testing.Short():
		churn = 3 * time.Second
	default:
		churn = 15 * time.Second
	}
	seed := *soakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("soak: %v of churn, %d clients, %d events/s, -soak.seed %d", churn, *soakClients, *soakRate, seed)

	leaks := goleak.IgnoreCurrent()
	heapBefore := ssetest.MemAfterGC().HeapAlloc

	b := ssebroker.NewBroker(
		ssebroker.MaxHistoryEvents(1<<22), ssebroker.MaxHistoryBytes(1<<30), ssebroker.HistoryBudget(1<<30),
	)
	// Heartbeats every second: a stalled client gets them too, and a
	// client that left is found gone within half of it.
	srv := sse.NewServer(sse.Heartbeat(time.Second))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "soak", Broker: b})
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv))
	p := &soakPublisher{hub: b.(hub.Provider).SSEHub()}
	// A first event, on a topic no client follows: every first connection
	// resumes from an id.
	if err := p.publish("soak-start"); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(seed, 1))
	clients := make([]*soakClient, *soakClients)
	for i := range clients {
		c := &soakClient{t: t, addr: svc.Addr(), pub: p, rng: rand.New(rand.NewPCG(seed, uint64(i)+2)), next: map[string]int{}}
		for k := 1 + rng.IntN(3); len(c.topics) < k; {
			topic := fmt.Sprintf("soak-%d", rng.IntN(soakTopics))
			if !slices.Contains(c.topics, topic) {
				c.topics = append(c.topics, topic)
			}
		}
		clients[i] = c
	}

	// Churn: clients and publishers run until stop is closed.
	stop := make(chan struct{})
	var caughtUp, done sync.WaitGroup
	release := make(chan struct{}) // the clients close their streams
	for _, c := range clients {
		caughtUp.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			c.run(stop, &caughtUp, release)
		}()
	}
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		p.run(t, stop, *soakRate, rng.Uint64())
	}()
	time.Sleep(churn)
	close(stop)
	<-pubDone
	// The last event of each topic marks the end: every client reads up to
	// it on each of its topics.
	p.finish(t)
	caughtUp.Wait()
	if t.Failed() {
		close(release)
		done.Wait()
		return
	}

	// Every client is connected and has read everything; the streams of
	// the clients that left are found gone at the next heartbeat.
	ssetest.Eventually(t, "one stream per client", func() bool { return srv.Stats().Endpoint.Open == len(clients) })
	var conns, resumes, events, bodyBytes, stalls, leaves uint64
	for _, c := range clients {
		conns += c.conns
		resumes += c.resumes
		events += c.events
		bodyBytes += c.bodyBytes
		stalls += c.stalls
		leaves += c.leaves
	}
	got := ssetest.Scrape(t, reg)
	published := float64(p.published.Load())
	checks := []struct {
		name      string
		got, want float64
		atLeast   bool
	}{
		{"sse_published_total{}", got["sse_published_total{}"], published, false},
		{"sse_streams_opened_total{}", got["sse_streams_opened_total{}"], float64(conns), false},
		{"sse_replays_total{outcome=exact,reason=}", got["sse_replays_total{outcome=exact,reason=}"], float64(resumes), false},
		{"sse_connections{protocol=http1,writer=shared}", got["sse_connections{protocol=http1,writer=shared}"], float64(len(clients)), false},
		{"sse_subscribers{}", got["sse_subscribers{}"], float64(len(clients)), false},
		{"sse_streams_closed_total{end=slow}", got["sse_streams_closed_total{end=slow}"], 0, false},
		{"sse_history_events{}", got["sse_history_events{}"], published, false},
		{"sse_delivered_total{} (>= events the clients read)", got["sse_delivered_total{}"], float64(events), true},
		{"sse_written_bytes_total{} (>= bytes the clients read)", got["sse_written_bytes_total{}"], float64(bodyBytes), true},
		{"sse_publish_to_write_seconds{} (samples)", got["sse_publish_to_write_seconds{}"], 1, true},
	}
	for _, c := range checks {
		if c.atLeast && c.got < c.want || !c.atLeast && c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for name, v := range got {
		switch {
		case strings.HasPrefix(name, "sse_lag_seconds"):
			t.Errorf("%s = %v: every client has read everything", name, v)
		case strings.HasPrefix(name, "sse_replays_total{outcome=reset") || strings.HasPrefix(name, "sse_refused_total"):
			t.Errorf("%s = %v, want none", name, v)
		}
	}
	t.Logf("soak: %d events published, %d read by clients (%d bytes); %d connections, %d resumes, %d leaves, %d stalls; %d samples of publish-to-write",
		p.published.Load(), events, bodyBytes, conns, resumes, leaves, stalls, uint64(got["sse_publish_to_write_seconds{}"]))

	// Everything goes: streams, then the service.
	close(release)
	done.Wait()
	ssetest.Eventually(t, "every stream to end", func() bool { return srv.Stats().Endpoint.Open == 0 })
	if err := svc.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	ignores := append(ssetest.GoleakIgnores(), leaks)
	ssetest.Eventually(t, "the goroutines of the soak to end", func() bool { return goleak.Find(ignores...) == nil })
	clients, p, b, srv, reg, svc = nil, nil, nil, nil, nil, nil
	heapAfter := ssetest.MemAfterGC().HeapAlloc
	t.Logf("soak: heap %d KiB before, %d KiB after", heapBefore>>10, heapAfter>>10)
	if heapAfter > heapBefore+8<<20 {
		t.Errorf("heap %d KiB after the soak, %d KiB before: more than 8 MiB left", heapAfter>>10, heapBefore>>10)
	}
}

// soakPublisher publishes "<topic> <seq>" events, seq counting from 1 per
// topic, one at a time, and keeps the id of the newest.
type soakPublisher struct {
	hub *hub.Hub

	mu     sync.Mutex
	seq    map[string]int
	newest string // id of the newest event
	final  atomic.Pointer[map[string]int]

	published atomic.Uint64
}

// publish publishes the next event of topic.
func (p *soakPublisher) publish(topic string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seq == nil {
		p.seq = map[string]int{}
	}
	n := p.seq[topic] + 1
	id, err := p.hub.Publish(topic, &codec.Event{Data: []byte(topic + " " + strconv.Itoa(n))})
	if err != nil {
		return err
	}
	p.seq[topic], p.newest = n, id
	p.published.Add(1)
	return nil
}

// position returns the id of the newest event and each topic's sequence.
func (p *soakPublisher) position(topics []string) (string, map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	seqs := make(map[string]int, len(topics))
	for _, topic := range topics {
		seqs[topic] = p.seq[topic]
	}
	return p.newest, seqs
}

// run publishes rate events per second to random topics until stop (as
// many as the time passed calls for: a late tick catches up).
func (p *soakPublisher) run(t *testing.T, stop <-chan struct{}, rate int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start, sent := time.Now(), 0
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for due := int(time.Since(start).Seconds() * float64(rate)); sent < due; sent++ {
			if err := p.publish(fmt.Sprintf("soak-%d", rng.IntN(soakTopics))); err != nil {
				t.Errorf("publish: %v", err)
				return
			}
		}
	}
}

// finish publishes the last event of every topic and makes its sequence
// known first, so that a client stops at it.
func (p *soakPublisher) finish(t *testing.T) {
	p.mu.Lock()
	final := make(map[string]int, soakTopics)
	for i := range soakTopics {
		topic := fmt.Sprintf("soak-%d", i)
		final[topic] = p.seq[topic] + 1
	}
	p.final.Store(&final)
	p.mu.Unlock()
	for i := range soakTopics {
		if err := p.publish(fmt.Sprintf("soak-%d", i)); err != nil {
			t.Errorf("publish: %v", err)
		}
	}
}

// soakClient is one client of the soak: one goroutine, one connection at a
// time, read as a browser would (chunked HTTP/1.1, the event stream
// decoded by the HTML standard's rules).
type soakClient struct {
	t      *testing.T
	addr   string
	pub    *soakPublisher
	rng    *rand.Rand
	topics []string

	next   map[string]int // the sequence expected next on each topic
	lastID string

	conns, resumes, events, bodyBytes, stalls, leaves uint64
}

// run connects, reads, stalls and leaves at random until stop, then reads
// every topic up to its last event (marking caughtUp), and closes its
// stream once release is closed.
func (c *soakClient) run(stop <-chan struct{}, caughtUp *sync.WaitGroup, release <-chan struct{}) {
	signalled := false
	defer func() {
		if !signalled {
			caughtUp.Done()
		}
	}()
	time.Sleep(time.Duration(c.rng.IntN(1000)) * time.Millisecond) // a staggered start
	for {
		conn, dec, body, err := c.connect()
		if err != nil {
			c.t.Errorf("client %v: %v", c.topics, err)
			return
		}
		leave, err := c.read(conn, dec, stop)
		c.bodyBytes += body.n
		if err != nil {
			conn.Close()
			c.t.Errorf("client %v: %v", c.topics, err)
			return
		}
		if leave {
			conn.Close()
			c.leaves++
			time.Sleep(time.Duration(c.rng.IntN(500)) * time.Millisecond)
			continue
		}
		// Caught up: hold the stream open until release.
		caughtUp.Done()
		signalled = true
		<-release
		conn.Close()
		return
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n uint64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += uint64(n)
	return n, err
}

// connect opens a stream of the client's topics from its last id (on the
// first connection: the newest event's id, so that it misses nothing
// published while it subscribes; there always is one).
func (c *soakClient) connect() (net.Conn, *codec.Decoder, *countingReader, error) {
	if c.conns == 0 {
		var seqs map[string]int
		c.lastID, seqs = c.pub.position(c.topics)
		for topic, n := range seqs {
			c.next[topic] = n + 1
		}
	}
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dial: %w", err)
	}
	q := url.Values{"stream": c.topics}
	req := "GET /events?" + q.Encode() + " HTTP/1.1\r\nHost: soak\r\nAccept: text/event-stream\r\n"
	if c.lastID != "" {
		req += "Last-Event-ID: " + c.lastID + "\r\n"
		c.resumes++
	}
	conn.SetDeadline(time.Now().Add(ssetest.Timeout))
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		conn.Close()
		return nil, nil, nil, fmt.Errorf("request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		conn.Close()
		return nil, nil, nil, fmt.Errorf("response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, nil, nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	c.conns++
	body := &countingReader{r: resp.Body}
	return conn, codec.NewDecoder(body), body, nil
}

// read reads events, checking each, until the client leaves (true) or has
// read the last event of each of its topics once stop is closed (false).
func (c *soakClient) read(conn net.Conn, dec *codec.Decoder, stop <-chan struct{}) (leave bool, err error) {
	for {
		churning := true
		select {
		case <-stop:
			churning = false
		default:
		}
		if !churning && c.caughtUp() {
			return false, nil
		}
		if churning {
			switch r := c.rng.IntN(1000); {
			case r < 4: // leave, to come back with Last-Event-ID
				return true, nil
			case r < 7: // stop reading for a while
				c.stalls++
				time.Sleep(time.Duration(100+c.rng.IntN(1400)) * time.Millisecond)
			}
		}
		conn.SetReadDeadline(time.Now().Add(ssetest.Timeout))
		ev, err := dec.Decode()
		if err != nil {
			return false, fmt.Errorf("stream ended after id %q (%d events): %w", c.lastID, c.events, err)
		}
		if err := c.check(ev); err != nil {
			return false, err
		}
	}
}

// check accounts for one event: the next of its topic, nothing else.
func (c *soakClient) check(ev *codec.Event) error {
	if ev.Event != "" {
		return fmt.Errorf("event of type %q (data %q) after id %q", ev.Event, ev.Data, c.lastID)
	}
	topic, n, ok := strings.Cut(string(ev.Data), " ")
	seq, err := strconv.Atoi(n)
	want, mine := c.next[topic]
	switch {
	case !ok || err != nil:
		return fmt.Errorf("event data %q", ev.Data)
	case !mine:
		return fmt.Errorf("event %q of a topic not followed", ev.Data)
	case seq != want:
		return fmt.Errorf("event %q (id %s) after id %s: want %s %d (a duplicate, a gap or out of order)", ev.Data, ev.ID, c.lastID, topic, want)
	}
	c.next[topic] = seq + 1
	c.lastID = ev.ID
	c.events++
	return nil
}

// caughtUp reports that the client read the last event of every topic.
func (c *soakClient) caughtUp() bool {
	final := c.pub.final.Load()
	if final == nil {
		return false
	}
	for _, topic := range c.topics {
		if c.next[topic] <= (*final)[topic] {
			return false
		}
	}
	return true
}
