package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go-micro.dev/v4/transport"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// closeFlushTimeout bounds how long Close waits to POST what Send accepted
// when transport.Timeout is not set.
const closeFlushTimeout = 5 * time.Second

// client is the client's end of one session: Recv takes events of the GET
// stream, Send queues messages that a writer goroutine POSTs in batches.
type clientSocket struct {
	set     settings
	url     string // the listener's URL, without query
	id      string // session id from the open event
	ht      *http.Transport
	hc      *http.Client
	ctx     context.Context // canceled when the client ends: aborts the GET and POSTs
	cancel  context.CancelFunc
	local   string
	remote  string
	in      *inbox
	timeout time.Duration

	closed    chan struct{} // Close was called
	closeOnce sync.Once
	dead      chan struct{} // the client ended
	deadOnce  sync.Once
	wg        sync.WaitGroup // reader and writer goroutines
	kick      chan struct{}  // wakes the writer

	mu       sync.Mutex
	cond     sync.Cond
	pending  []byte // frames Send accepted, not yet POSTed
	count    int    // messages in pending
	spare    []byte
	scratch  []byte
	inflight bool
	err      error // sticky: Send returns it
	expired  bool  // Close gave up flushing
	seq      uint64

	start    time.Time
	lastRead atomic.Int64 // nanoseconds since start of the last stream read
	idle     time.Duration
	watchdog *time.Timer
}

// Dial opens a session with the listener at addr: a GET whose response is
// the event stream. It fails when the server does not answer with the open
// event within transport.WithTimeout (default transport.DefaultDialTimeout).
// The returned Client is safe for concurrent Send; Recv returns messages in
// the order the server sent them. transport.WithStream changes nothing:
// every session is a stream. WithInsecureSkipVerify applies with TLS.
func (t *sseTransport) Dial(addr string, opts ...transport.DialOption) (transport.Client, error) {
	d := transport.DialOptions{Timeout: transport.DefaultDialTimeout}
	for _, o := range opts {
		o(&d)
	}
	o := t.Options()
	set := resolve(o)
	tlsConf := clientTLS(o, d)
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	}
	dialer := &net.Dialer{Timeout: d.Timeout, KeepAlive: 15 * time.Second}
	ht := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: d.Timeout,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     90 * time.Second,
	}
	c := &clientSocket{
		set:     set,
		url:     scheme + "://" + addr + set.path,
		ht:      ht,
		hc:      &http.Client{Transport: ht, CheckRedirect: noRedirect},
		in:      newInbox(),
		timeout: set.timeout,
		closed:  make(chan struct{}),
		dead:    make(chan struct{}),
		kick:    make(chan struct{}, 1),
		start:   time.Now(),
	}
	c.cond.L = &c.mu
	c.ctx, c.cancel = context.WithCancel(context.Background())
	dec, err := c.open(d.Timeout)
	if err != nil {
		c.cancel()
		ht.CloseIdleConnections()
		return nil, fmt.Errorf("sse transport: dial %s: %w", addr, err)
	}
	c.wg.Add(2)
	go c.read(dec)
	go c.write()
	return c, nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// open sends the GET and reads the open event, within timeout.
func (c *clientSocket) open(timeout time.Duration) (*codec.Decoder, error) {
	if timeout <= 0 {
		timeout = 1<<63 - 1 // no limit, as net.DialTimeout with 0
	}
	timer := time.AfterFunc(timeout, c.cancel)
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		c.local = info.Conn.LocalAddr().String()
		c.remote = info.Conn.RemoteAddr().String()
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(c.ctx, trace), http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", codec.ContentType)
	req.Header.Set("Cache-Control", "no-cache")
	rsp, err := c.hc.Do(req)
	if err != nil {
		timer.Stop()
		return nil, err
	}
	if rsp.StatusCode != http.StatusOK {
		timer.Stop()
		b, _ := io.ReadAll(io.LimitReader(rsp.Body, 512))
		_ = rsp.Body.Close()
		return nil, fmt.Errorf("%s: %s", rsp.Status, strings.TrimSpace(string(b)))
	}
	limit := encodedLimit(c.set.maxMsg)
	body := &activityReader{r: rsp.Body, c: c}
	dec := codec.NewDecoder(body, codec.MaxLineBytes(limit), codec.MaxEventBytes(limit))
	ev, err := dec.Decode()
	if !timer.Stop() {
		_ = rsp.Body.Close()
		return nil, fmt.Errorf("no open event within %v", timeout)
	}
	if err != nil {
		_ = rsp.Body.Close()
		return nil, fmt.Errorf("reading the open event: %w", err)
	}
	f := strings.Fields(string(ev.Data))
	if ev.Event != eventOpen || len(f) != 2 {
		_ = rsp.Body.Close()
		return nil, fmt.Errorf("%w: first event is not an open event", errMalformed)
	}
	hb, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		_ = rsp.Body.Close()
		return nil, fmt.Errorf("%w: open event: %v", errMalformed, err)
	}
	c.id = f[0]
	if hb > 0 {
		c.idle = 3 * time.Duration(hb) * time.Millisecond
		c.mu.Lock()
		c.watchdog = time.AfterFunc(c.idle, c.checkIdle)
		c.mu.Unlock()
	}
	return dec, nil
}

// activityReader notes the time of every read of the stream, for the
// watchdog.
type activityReader struct {
	r io.ReadCloser
	c *clientSocket
}

func (a *activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.c.lastRead.Store(int64(time.Since(a.c.start)))
	}
	return n, err
}

// checkIdle ends the client when the stream was silent for three
// heartbeats.
func (c *clientSocket) checkIdle() {
	idle := time.Since(c.start) - time.Duration(c.lastRead.Load())
	if idle >= c.idle {
		c.fail(fmt.Errorf("%w: nothing from the server for %v", ErrConnectionLost, idle.Round(time.Millisecond)))
		return
	}
	c.mu.Lock()
	if c.err == nil {
		c.watchdog.Reset(c.idle - idle)
	}
	c.mu.Unlock()
}

// read decodes the stream into the inbox until it ends.
func (c *clientSocket) read(dec *codec.Decoder) {
	defer c.wg.Done()
	for {
		ev, err := dec.Decode()
		if err != nil {
			c.fail(c.streamError(err))
			return
		}
		switch ev.Event {
		case eventText, eventBinary:
			m, err := parseMessage(ev, c.set.maxMsg)
			if err != nil {
				if !errors.Is(err, ErrMessageTooLarge) {
					err = fmt.Errorf("%w: %v", ErrConnectionLost, err)
				}
				c.fail(err)
				return
			}
			if !c.in.put(m, c.dead) {
				return
			}
		case eventClose:
			c.fail(io.EOF)
			return
		case eventError:
			code, msg, _ := strings.Cut(string(ev.Data), " ")
			kind := ErrConnectionLost
			if code == "too-large" {
				kind = ErrMessageTooLarge
			}
			c.fail(fmt.Errorf("%w: the server ended the stream: %s", kind, msg))
			return
		}
	}
}

// streamError names why the stream stopped.
func (c *clientSocket) streamError(err error) error {
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	if errors.Is(err, codec.ErrEventTooLarge) || errors.Is(err, codec.ErrLineTooLong) {
		return fmt.Errorf("%w: %v", ErrMessageTooLarge, err)
	}
	if err == io.EOF {
		return fmt.Errorf("%w: the server ended the stream without a close event", ErrConnectionLost)
	}
	return fmt.Errorf("%w: stream: %v", ErrConnectionLost, err)
}

// fail ends the client with err (the first call wins): Send returns it,
// Recv returns it after the queued messages, the GET and any POST are
// aborted and the goroutines stop.
func (c *clientSocket) fail(err error) {
	c.deadOnce.Do(func() {
		c.mu.Lock()
		if c.err == nil {
			c.err = err
		}
		if c.watchdog != nil {
			c.watchdog.Stop()
		}
		c.cond.Broadcast()
		c.mu.Unlock()
		c.in.finish(err)
		close(c.dead)
		c.cancel()
	})
}

// write POSTs what Send queued, one POST at a time, each carrying every
// message queued while the previous one was in flight.
func (c *clientSocket) write() {
	defer c.wg.Done()
	defer c.ht.CloseIdleConnections()
	for {
		select {
		case <-c.kick:
		case <-c.dead:
			return
		}
		c.mu.Lock()
		for len(c.pending) > 0 && c.err == nil {
			buf, n := c.pending, c.count
			c.pending, c.count = c.spare[:0], 0
			c.inflight = true
			c.mu.Unlock()
			err := c.post(buf, n)
			c.mu.Lock()
			c.inflight = false
			c.spare = buf[:0]
			c.cond.Broadcast()
			if err != nil {
				c.mu.Unlock()
				c.fail(err)
				return
			}
		}
		c.mu.Unlock()
	}
}

// post sends one batch of n frames.
func (c *clientSocket) post(body []byte, n int) error {
	ctx := c.ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	u := c.url + "?s=" + c.id + "&q=" + strconv.FormatUint(c.seq, 10) + "&n=" + strconv.Itoa(n)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sse transport: POST: %w", err)
	}
	req.Header.Set("Content-Type", codec.ContentType)
	rsp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: POST: %v", ErrConnectionLost, err)
	}
	msg, _ := io.ReadAll(io.LimitReader(rsp.Body, 512))
	_ = rsp.Body.Close()
	switch rsp.StatusCode {
	case http.StatusNoContent, http.StatusOK:
		c.seq++
		return nil
	case http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%w: server refused a POST: %s", ErrMessageTooLarge, strings.TrimSpace(string(msg)))
	default:
		return fmt.Errorf("%w: POST: %s: %s", ErrConnectionLost, rsp.Status, strings.TrimSpace(string(msg)))
	}
}

// Local is the local address of the stream's connection.
func (c *clientSocket) Local() string { return c.local }

// Remote is the server address of the stream's connection.
func (c *clientSocket) Remote() string { return c.remote }

// Send queues m for the writer and returns; it blocks only while about
// 1 MiB is already queued. It is safe for concurrent use; messages go out in
// the order their Send calls took the lock. A failure to deliver ends the
// client and is returned by later calls.
func (c *clientSocket) Send(m *transport.Message) error {
	if n := messageSize(m); n > c.set.maxMsg {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, n, c.set.maxMsg)
	}
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	size := messageSize(m)
	c.mu.Lock()
	for c.err == nil && len(c.pending) > 0 && len(c.pending)+size > maxPending {
		c.cond.Wait()
	}
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	wasEmpty := len(c.pending) == 0
	var err error
	c.pending, c.scratch, err = appendMessage(c.pending, c.scratch, m)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.count++
	c.mu.Unlock()
	if wasEmpty {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Recv returns the next message from the server, in order. It blocks until
// one arrives, the client ends (queued messages first, then io.EOF when the
// server closed the socket or an error wrapping ErrConnectionLost), Close is
// called (ErrClosed), or transport.Timeout passes.
func (c *clientSocket) Recv(m *transport.Message) error {
	if m == nil {
		return ErrNilMessage
	}
	got, err := c.in.get(c.closed, c.timeout)
	if err != nil {
		return err
	}
	deliver(m, got)
	return nil
}

// Close ends the client: pending and later Recv calls return ErrClosed at
// once; messages Send already accepted are POSTed first (within
// transport.Timeout, or 5s), then the stream is closed, which the server's
// Recv reports as io.EOF. When Close returns, the client's goroutines are
// gone. Closing twice is fine.
func (c *clientSocket) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		wait := c.timeout
		if wait <= 0 {
			wait = closeFlushTimeout
		}
		t := time.AfterFunc(wait, func() {
			c.mu.Lock()
			c.expired = true
			c.cond.Broadcast()
			c.mu.Unlock()
		})
		c.mu.Lock()
		for c.err == nil && !c.expired && (len(c.pending) > 0 || c.inflight) {
			c.cond.Wait()
		}
		if c.err == nil {
			c.err = ErrClosed
		}
		c.mu.Unlock()
		t.Stop()
		c.fail(ErrClosed)
		c.wg.Wait()
		c.ht.CloseIdleConnections()
	})
	return nil
}
