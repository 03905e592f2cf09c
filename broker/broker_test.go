package broker_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/util/cmd"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// newConnected returns a connected broker, disconnected at the test's end.
func newConnected(t *testing.T, opts ...mbroker.Option) mbroker.Broker {
	t.Helper()
	b := ssebroker.NewBroker(opts...)
	require.NoError(t, b.Connect())
	t.Cleanup(func() { _ = b.Disconnect() })
	return b
}

// hubOf returns the broker's hub.
func hubOf(t *testing.T, b mbroker.Broker) *hub.Hub {
	t.Helper()
	p, ok := b.(hub.Provider)
	require.True(t, ok, "broker does not implement hub.Provider")
	return p.SSEHub()
}

// statsOf returns the broker's counters.
func statsOf(b mbroker.Broker) ssebroker.Stats {
	return b.(interface{ Stats() ssebroker.Stats }).Stats()
}

// browser is a hub subscriber read the way the server reads it.
type browser struct {
	sub   *hub.Subscriber
	ready chan struct{} // signalled by the hub's Notify
	buf   []byte
}

// subscribeHub subscribes to topics on b's hub.
func subscribeHub(t *testing.T, b mbroker.Broker, topics ...string) *browser {
	t.Helper()
	br := &browser{ready: make(chan struct{}, 1)}
	s, err := hubOf(t, b).Subscribe(topics, "", hub.Notify(func() {
		select {
		case br.ready <- struct{}{}:
		default:
		}
	}))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	br.sub = s
	return br
}

// drain appends a copy of every frame due to s to dst, reading until
// nothing more is due; it returns the reason s ended once nothing is left.
func drain(s *hub.Subscriber, dst []byte) ([]byte, error) {
	var frames [][]byte
	got := false
	for {
		var more bool
		var err error
		frames, more, err = s.Read(frames[:0])
		for _, f := range frames {
			dst = append(dst, f...)
		}
		got = got || len(frames) > 0
		if err != nil && got {
			return dst, nil // the reason comes with the next call
		}
		if err != nil || !more {
			return dst, err
		}
	}
}

// next returns the next n events, waiting for them (bounded by the test
// timeout).
func (br *browser) next(t *testing.T, n int) []*codec.Event {
	t.Helper()
	var out []*codec.Event
	for {
		d := codec.NewDecoder(bytes.NewReader(br.buf))
		out = out[:0]
		for {
			ev, err := d.Decode()
			if err != nil {
				break
			}
			out = append(out, ev)
		}
		if len(out) >= n {
			return out[:n]
		}
		<-br.ready
		var err error
		br.buf, err = drain(br.sub, br.buf)
		require.NoError(t, err)
	}
}

// pending returns the events already queued, without waiting.
func (br *browser) pending(t *testing.T) []*codec.Event {
	t.Helper()
	var err error
	br.buf, err = drain(br.sub, br.buf)
	require.NoError(t, err)
	var out []*codec.Event
	d := codec.NewDecoder(bytes.NewReader(br.buf))
	for {
		ev, err := d.Decode()
		if err != nil {
			return out
		}
		out = append(out, ev)
	}
}

func msg(body string, kv ...string) *mbroker.Message {
	m := &mbroker.Message{Header: map[string]string{}, Body: []byte(body)}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Header[kv[i]] = kv[i+1]
	}
	return m
}

func TestIdentityAndRegistration(t *testing.T) {
	b := ssebroker.NewBroker()
	assert.Equal(t, "sse", b.String())
	assert.Equal(t, "inproc", b.Address())
	f, ok := cmd.DefaultBrokers["sse"]
	require.True(t, ok, `cmd.DefaultBrokers["sse"] not registered`)
	assert.Equal(t, "sse", f().String())
	_, ok = f().(hub.Provider)
	assert.True(t, ok)
}

func TestConnectDisconnect(t *testing.T) {
	b := ssebroker.NewBroker()
	h := func(mbroker.Event) error { return nil }

	err := b.Publish("t", msg("x"))
	assert.ErrorIs(t, err, ssebroker.ErrNotConnected, "publish before connect")
	_, err = b.Subscribe("t", h)
	assert.ErrorIs(t, err, ssebroker.ErrNotConnected, "subscribe before connect")

	require.NoError(t, b.Connect())
	require.NoError(t, b.Connect(), "connect is idempotent")
	require.NoError(t, b.Publish("t", msg("x")))
	sub, err := b.Subscribe("t", h)
	require.NoError(t, err)
	assert.Equal(t, "t", sub.Topic())
	assert.True(t, sub.Options().AutoAck)

	require.NoError(t, b.Disconnect())
	require.NoError(t, b.Disconnect(), "disconnect is idempotent")
	assert.Equal(t, 0, statsOf(b).Subscriptions, "disconnect ends subscriptions")
	require.NoError(t, sub.Unsubscribe(), "unsubscribe after disconnect")
	assert.ErrorIs(t, b.Publish("t", msg("x")), ssebroker.ErrNotConnected, "publish after disconnect")
	_, err = b.Subscribe("t", h)
	assert.ErrorIs(t, err, ssebroker.ErrNotConnected)

	require.NoError(t, b.Connect(), "reconnect")
	require.NoError(t, b.Publish("t", msg("x")))
	require.NoError(t, b.Disconnect())
	assert.Equal(t, uint64(2), statsOf(b).Published)
}

func TestSubscribeRefusesBadArguments(t *testing.T) {
	b := newConnected(t)
	_, err := b.Subscribe("", func(mbroker.Event) error { return nil })
	assert.ErrorIs(t, err, ssebroker.ErrInvalidTopic)
	_, err = b.Subscribe("t", nil)
	assert.ErrorIs(t, err, ssebroker.ErrNilHandler)
	assert.ErrorIs(t, b.Publish("t", nil), ssebroker.ErrNilMessage)
}

func TestInitMerges(t *testing.T) {
	b := ssebroker.NewBroker(ssebroker.SubscriberQueue(7))
	var called atomic.Bool
	eh := func(mbroker.Event) error { called.Store(true); return nil }
	require.NoError(t, b.Init(mbroker.Addrs("a:1")))
	require.NoError(t, b.Init(mbroker.ErrorHandler(eh)))
	o := b.Options()
	assert.Equal(t, []string{"a:1"}, o.Addrs)
	assert.NotNil(t, o.ErrorHandler)
	assert.NotNil(t, o.Logger)
	require.NotNil(t, o.Context)

	// The queue size set at NewBroker survived both Inits: with a blocked
	// handler, exactly 7 messages are queued and the rest dropped.
	require.NoError(t, b.Connect())
	defer b.Disconnect()
	gate, entered := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	_, err := b.Subscribe("t", func(mbroker.Event) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-gate
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, b.Publish("t", msg("first")))
	<-entered
	for i := range 10 {
		require.NoError(t, b.Publish("t", msg(strconv.Itoa(i))))
	}
	assert.Equal(t, uint64(3), statsOf(b).Dropped)
	close(gate)
}

func TestPublishMapsMessageToEvent(t *testing.T) {
	b := newConnected(t)
	br := subscribeHub(t, b, "t")
	require.NoError(t, b.Publish("t", msg("{\"a\":1}\n",
		"Content-Type", "application/json",
		codec.HeaderEvent, "update",
		codec.HeaderRetry, "2500",
		"Micro-Topic", "t")))
	require.NoError(t, b.Publish("t", msg("line1\nline2\n", "Content-Type", "text/plain")))

	evs := br.next(t, 2)
	assert.Equal(t, `{"a":1}`, string(evs[0].Data), "JSON trailing newline trimmed")
	assert.Equal(t, "update", evs[0].Event)
	assert.Equal(t, 2500*time.Millisecond, evs[0].Retry)
	assert.NotEmpty(t, evs[0].ID, "the hub assigns an id")
	assert.Equal(t, "line1\nline2\n", string(evs[1].Data), "non-JSON data kept as is")
	assert.Equal(t, "", evs[1].Event)
}

func TestPublishRefusesInjectingHeaders(t *testing.T) {
	b := newConnected(t)
	br := subscribeHub(t, b, "t")
	got := make(chan string, 10)
	_, err := b.Subscribe("t", func(e mbroker.Event) error { got <- string(e.Message().Body); return nil })
	require.NoError(t, err)

	cases := []struct {
		key, value string
		want       error
	}{
		{codec.HeaderEvent, "a\ndata: injected", codec.ErrInvalidEvent},
		{codec.HeaderEvent, "a\rb", codec.ErrInvalidEvent},
		{codec.HeaderEvent, "a\x00b", codec.ErrInvalidEvent}, // as the doc says
		{codec.HeaderID, "1\nevent: x", codec.ErrInvalidID},
		{codec.HeaderID, "1\x00", codec.ErrInvalidID},
		{codec.HeaderRetry, "10\ndata: x", codec.ErrInvalidRetry},
		{codec.HeaderRetry, "-5", codec.ErrInvalidRetry},
	}
	for _, c := range cases {
		err := b.Publish("t", msg("bad", c.key, c.value))
		assert.ErrorIs(t, err, c.want, "%s=%q", c.key, c.value)
	}
	require.NoError(t, b.Publish("t", msg("good")))

	evs := br.next(t, 1)
	assert.Equal(t, "good", string(evs[0].Data), "refused messages never reach the hub")
	assert.Empty(t, br.pending(t)[1:])
	assert.Equal(t, "good", <-got, "refused messages never reach handlers")
	assert.Equal(t, uint64(1), statsOf(b).Published)
}

func TestHandlersGetTheMessageAsPublished(t *testing.T) {
	b := newConnected(t)
	type seen struct {
		topic string
		m     *mbroker.Message
	}
	a, c := make(chan seen, 1), make(chan seen, 1)
	_, err := b.Subscribe("t", func(e mbroker.Event) error {
		e.Message().Header["Mutated"] = "yes" // must not leak to the other handler
		a <- seen{e.Topic(), e.Message()}
		return e.Ack()
	})
	require.NoError(t, err)
	_, err = b.Subscribe("t", func(e mbroker.Event) error { c <- seen{e.Topic(), e.Message()}; return nil })
	require.NoError(t, err)

	body := []byte("{\"k\":\"v\"}\n")
	require.NoError(t, b.Publish("t", &mbroker.Message{Header: map[string]string{"Content-Type": "application/json", "X": "1"}, Body: body}))
	copy(body, "XXXXXXXXX") // the publisher reuses its buffer

	sa, sc := <-a, <-c
	assert.Equal(t, "t", sa.topic)
	assert.Equal(t, "{\"k\":\"v\"}\n", string(sa.m.Body), "body as published, trailing newline kept")
	assert.Equal(t, "{\"k\":\"v\"}\n", string(sc.m.Body))
	assert.Equal(t, "1", sc.m.Header["X"])
	assert.NotContains(t, sc.m.Header, "Mutated")
}

func TestQueueGroupDeliversEachMessageOnce(t *testing.T) {
	const handlers, messages = 5, 2000
	b := newConnected(t, ssebroker.SubscriberQueue(messages))

	var mu sync.Mutex
	perBody := map[string]int{}         // group g: deliveries per message
	perHandler := make([]int, handlers) // group g: deliveries per handler
	otherGroup, plain := 0, 0
	var remaining sync.WaitGroup
	remaining.Add(messages * 3)

	var subs []mbroker.Subscriber
	for i := range handlers {
		s, err := b.Subscribe("t", func(e mbroker.Event) error {
			mu.Lock()
			perBody[string(e.Message().Body)]++
			perHandler[i]++
			mu.Unlock()
			remaining.Done()
			return nil
		}, mbroker.Queue("g"))
		require.NoError(t, err)
		assert.Equal(t, "g", s.Options().Queue)
		subs = append(subs, s)
	}
	for range 2 {
		s, err := b.Subscribe("t", func(mbroker.Event) error {
			mu.Lock()
			otherGroup++
			mu.Unlock()
			remaining.Done()
			return nil
		}, mbroker.Queue("h"))
		require.NoError(t, err)
		subs = append(subs, s)
	}
	s, err := b.Subscribe("t", func(mbroker.Event) error {
		mu.Lock()
		plain++
		mu.Unlock()
		remaining.Done()
		return nil
	})
	require.NoError(t, err)
	subs = append(subs, s)

	var pubs sync.WaitGroup
	for p := range 4 { // concurrent publishers
		pubs.Go(func() {
			for i := p; i < messages; i += 4 {
				assert.NoError(t, b.Publish("t", msg(strconv.Itoa(i))))
			}
		})
	}
	pubs.Wait()
	remaining.Wait()
	for _, s := range subs {
		require.NoError(t, s.Unsubscribe()) // every message was handled (remaining): counts are final
	}

	assert.Len(t, perBody, messages)
	for i := range messages {
		assert.Equal(t, 1, perBody[strconv.Itoa(i)], "message %d", i)
	}
	total := 0
	for i, n := range perHandler {
		assert.Positive(t, n, "handler %d got nothing", i)
		total += n
	}
	assert.Equal(t, messages, total)
	assert.Equal(t, messages, otherGroup, "each group gets every message once")
	assert.Equal(t, messages, plain, "a subscription without a group gets every message")
	st := statsOf(b)
	assert.Equal(t, uint64(0), st.Dropped)
	assert.Equal(t, uint64(3*messages), st.Delivered)
	assert.Equal(t, 0, st.Subscriptions)
}

// TestUnsubscribeNeverWaitsForItsHandler: Unsubscribe returns while a
// handler call is blocked (it used to wait for it), nothing queued or
// published after it is delivered, and Disconnect is what waits for the
// call to return.
func TestUnsubscribeNeverWaitsForItsHandler(t *testing.T) {
	b := newConnected(t)
	gate, entered, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	sub, err := b.Subscribe("t", func(mbroker.Event) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-gate
			close(returned)
		}
		return nil
	})
	require.NoError(t, err)
	for i := range 10 {
		require.NoError(t, b.Publish("t", msg(strconv.Itoa(i))))
	}
	<-entered // one call in progress, nine queued

	require.NoError(t, sub.Unsubscribe()) // returns with the call still blocked
	select {
	case <-returned:
		t.Fatal("the handler returned before the gate opened")
	default:
	}
	assert.Equal(t, 0, statsOf(b).Subscriptions)
	for i := range 5 {
		require.NoError(t, b.Publish("t", msg(strconv.Itoa(i))))
	}
	disconnected := make(chan struct{})
	go func() {
		assert.NoError(t, b.Disconnect())
		close(disconnected)
	}()
	close(gate)
	<-disconnected // Disconnect waited for the call in progress
	select {
	case <-returned:
	default:
		t.Fatal("Disconnect returned while a handler call was in progress")
	}
	assert.Equal(t, int64(1), calls.Load(), "no handler call after Unsubscribe")
	assert.Equal(t, uint64(9), statsOf(b).Dropped, "queued messages are dropped and counted")
	require.NoError(t, sub.Unsubscribe(), "idempotent")
}

// TestDisconnectWaitsForHandlers: when Disconnect returns no handler call
// of any subscription runs, unsubscribed ones included.
func TestDisconnectWaitsForHandlers(t *testing.T) {
	b := ssebroker.NewBroker()
	require.NoError(t, b.Connect())
	gate := make(chan struct{})
	var running atomic.Int64
	var subs []mbroker.Subscriber
	for _, topic := range []string{"a", "b", "c"} {
		sub, err := b.Subscribe(topic, func(mbroker.Event) error {
			running.Add(1)
			defer running.Add(-1)
			<-gate
			return nil
		})
		require.NoError(t, err)
		subs = append(subs, sub)
		require.NoError(t, b.Publish(topic, msg(topic)))
	}
	for running.Load() != 3 {
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, subs[0].Unsubscribe())
	done := make(chan struct{})
	go func() {
		assert.NoError(t, b.Disconnect())
		close(done)
	}()
	close(gate)
	<-done
	assert.Equal(t, int64(0), running.Load(), "a handler call outlived Disconnect")
}

func TestUnsubscribeFromOwnHandler(t *testing.T) {
	b := newConnected(t)
	var calls atomic.Int64
	var sub mbroker.Subscriber
	ready := make(chan struct{})
	returned := make(chan struct{})
	sub, err := b.Subscribe("t", func(mbroker.Event) error {
		<-ready
		calls.Add(1)
		assert.NoError(t, sub.Unsubscribe()) // returns at once: it never waits
		close(returned)
		return nil
	})
	require.NoError(t, err)
	close(ready)
	for i := range 5 {
		require.NoError(t, b.Publish("t", msg(strconv.Itoa(i))))
	}
	<-returned
	require.NoError(t, b.Disconnect()) // from outside: waits for the worker to end
	assert.Equal(t, int64(1), calls.Load())
}

func TestSlowHandlerNeverDelaysPublishOrBrowsers(t *testing.T) {
	b := newConnected(t, ssebroker.SubscriberQueue(2))
	br := subscribeHub(t, b, "t")
	gate, entered, handled := make(chan struct{}), make(chan struct{}), make(chan string, 10)
	var calls atomic.Int64
	sub, err := b.Subscribe("t", func(e mbroker.Event) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-gate // stuck until the end of the test
		}
		handled <- string(e.Message().Body)
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, b.Publish("t", msg("0")))
	<-entered
	for i := 1; i <= 5; i++ { // returns although the handler is stuck
		require.NoError(t, b.Publish("t", msg(strconv.Itoa(i))))
	}
	evs := br.next(t, 6) // the browser copy is all there while the handler is stuck
	for i, ev := range evs {
		assert.Equal(t, strconv.Itoa(i), string(ev.Data))
	}
	assert.Equal(t, uint64(3), statsOf(b).Dropped, "queue of 2 full: 3 of 5 dropped")
	close(gate)
	// the stuck one, then the two queued, in order
	assert.Equal(t, []string{"0", "1", "2"}, []string{<-handled, <-handled, <-handled})
	require.NoError(t, sub.Unsubscribe())
	assert.Equal(t, int64(3), calls.Load())
}

func TestQueueGroupSkipsFullMembers(t *testing.T) {
	b := newConnected(t, ssebroker.SubscriberQueue(1))
	gate, entered := make(chan struct{}), make(chan struct{})
	var stuckCalls, freeCalls atomic.Int64
	stuckDone := make(chan struct{}, 2)
	stuck, err := b.Subscribe("t", func(mbroker.Event) error {
		if stuckCalls.Add(1) == 1 {
			close(entered)
			<-gate
		}
		stuckDone <- struct{}{}
		return nil
	}, mbroker.Queue("g"))
	require.NoError(t, err)
	require.NoError(t, b.Publish("t", msg("0"))) // the only member takes it
	<-entered
	require.NoError(t, b.Publish("t", msg("1"))) // fills its queue of 1
	require.NoError(t, b.Publish("t", msg("2"))) // nobody has room: dropped
	assert.Equal(t, uint64(1), statsOf(b).Dropped)

	took := make(chan struct{})
	free, err := b.Subscribe("t", func(mbroker.Event) error { freeCalls.Add(1); took <- struct{}{}; return nil }, mbroker.Queue("g"))
	require.NoError(t, err)
	for i := range 20 { // the stuck member is full: every one goes to the free one
		require.NoError(t, b.Publish("t", msg(strconv.Itoa(i))))
		<-took // the free member's queue of 1 is empty again
	}
	assert.Equal(t, uint64(1), statsOf(b).Dropped)
	close(gate)
	<-stuckDone
	<-stuckDone // "0", then the queued "1"
	require.NoError(t, stuck.Unsubscribe())
	require.NoError(t, free.Unsubscribe())
	assert.Equal(t, int64(2), stuckCalls.Load())
	assert.Equal(t, int64(20), freeCalls.Load())
}

func TestHandlerErrors(t *testing.T) {
	boom := errors.New("boom")
	seen := make(chan mbroker.Event, 2)
	b := newConnected(t, mbroker.ErrorHandler(func(e mbroker.Event) error { seen <- e; return nil }))
	br := subscribeHub(t, b, "t")
	_, err := b.Subscribe("t", func(e mbroker.Event) error {
		assert.NoError(t, e.Error(), "no error while the handler runs")
		if string(e.Message().Body) == "panic" {
			panic("kaput")
		}
		return boom
	})
	require.NoError(t, err)
	require.NoError(t, b.Publish("t", msg("x")))
	require.NoError(t, b.Publish("t", msg("panic")))

	e := <-seen
	assert.ErrorIs(t, e.Error(), boom)
	assert.Equal(t, "t", e.Topic())
	assert.Equal(t, "x", string(e.Message().Body))
	assert.NoError(t, e.Ack())
	e = <-seen
	assert.ErrorContains(t, e.Error(), "kaput")
	assert.Len(t, br.next(t, 2), 2, "browser copies unaffected")
	assert.Equal(t, uint64(2), statsOf(b).HandlerErrors)
}

func TestHandlerErrorIsLoggedWithoutErrorHandler(t *testing.T) {
	b := newConnected(t)
	done := make(chan struct{})
	var n atomic.Int64
	_, err := b.Subscribe("t", func(e mbroker.Event) error {
		if n.Add(1) == 2 {
			close(done)
		}
		return fmt.Errorf("failed %s", e.Message().Body)
	})
	require.NoError(t, err)
	require.NoError(t, b.Publish("t", msg("1")))
	require.NoError(t, b.Publish("t", msg("2")))
	<-done
	assert.Equal(t, int64(2), n.Load(), "no redelivery after an error")
}

func TestUnknownHubTopicStillReachesHandlers(t *testing.T) {
	b := newConnected(t, ssebroker.ExplicitTopics())
	err := b.Publish("internal", msg("x"))
	assert.ErrorIs(t, err, hub.ErrUnknownTopic, "no browser topic and no handler")

	got := make(chan string, 1)
	_, err = b.Subscribe("internal", func(e mbroker.Event) error { got <- string(e.Message().Body); return nil })
	require.NoError(t, err)
	require.NoError(t, b.Publish("internal", msg("y")))
	assert.Equal(t, "y", <-got)
}

func TestTwoBrokersAreSeparate(t *testing.T) {
	b1, b2 := newConnected(t), newConnected(t)
	assert.NotSame(t, hubOf(t, b1), hubOf(t, b2))
	br2 := subscribeHub(t, b2, "t")
	got2 := make(chan string, 4)
	_, err := b2.Subscribe("t", func(e mbroker.Event) error { got2 <- string(e.Message().Body); return nil })
	require.NoError(t, err)

	require.NoError(t, b1.Publish("t", msg("from b1")))
	require.NoError(t, b2.Publish("t", msg("from b2")))
	assert.Equal(t, "from b2", <-got2, "b2's handler sees only b2's message")
	evs := br2.next(t, 1)
	assert.Equal(t, "from b2", string(evs[0].Data))
	assert.Empty(t, br2.pending(t)[1:])
}

func TestPublisherIDAndBinaryData(t *testing.T) {
	b := newConnected(t)
	br := subscribeHub(t, b, "t")

	// Binary data in text mode reaches handlers, not browsers (never
	// mangled): skipped and counted.
	got := make(chan string, 2)
	_, err := b.Subscribe("t", func(e mbroker.Event) error { got <- string(e.Message().Body); return nil })
	require.NoError(t, err)
	require.NoError(t, b.Publish("t", msg("\xff\xfe")))
	assert.Equal(t, "\xff\xfe", <-got, "handlers get the bytes as published")
	assert.Empty(t, br.pending(t), "browsers get nothing of it")
	assert.Equal(t, uint64(1), statsOf(b).BinarySkipped)

	// With the broker's options for its hub, base64 data and publisher
	// ids, it goes through.
	b = newConnected(t, ssebroker.Base64Data(), ssebroker.KeepPublisherIDs())
	br = subscribeHub(t, b, "t")
	_, err = b.Subscribe("t", func(e mbroker.Event) error { got <- string(e.Message().Body); return nil })
	require.NoError(t, err)
	require.NoError(t, b.Publish("t", msg("\xff\xfe", codec.HeaderID, "pub-7")))
	evs := br.next(t, 1)
	assert.Equal(t, "pub-7", evs[0].ID, "Sse-Id sets the id when the hub keeps publisher ids")
	assert.Equal(t, "//4=", string(evs[0].Data))
	assert.Equal(t, "\xff\xfe", <-got, "handlers get the bytes as published")
}

func TestConcurrentPublishSubscribeUnsubscribe(t *testing.T) {
	b := newConnected(t, ssebroker.SubscriberQueue(8))
	br := subscribeHub(t, b, "t")
	const publishers, perPublisher, churners, rounds = 3, 200, 3, 40 // fewer than the hub queue's 1024 frames
	var wg sync.WaitGroup
	var latesMu sync.Mutex
	var lates []*atomic.Bool
	for p := range publishers {
		wg.Go(func() {
			for i := range perPublisher {
				assert.NoError(t, b.Publish("t", msg(fmt.Sprintf("%d-%d", p, i))))
			}
		})
	}
	for c := range churners {
		wg.Go(func() {
			for r := range rounds {
				var opts []mbroker.SubscribeOption
				if r%2 == 0 {
					opts = append(opts, mbroker.Queue(fmt.Sprintf("g%d", c%2)))
				}
				after := fmt.Sprintf("after-%d-%d", c, r)
				late := new(atomic.Bool)
				s, err := b.Subscribe("t", func(e mbroker.Event) error {
					if string(e.Message().Body) == after {
						late.Store(true)
					}
					return nil
				}, opts...)
				if !assert.NoError(t, err) {
					return
				}
				assert.NoError(t, s.Unsubscribe())
				assert.NoError(t, b.Publish("t", msg(after)))
				latesMu.Lock()
				lates = append(lates, late)
				latesMu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 0, statsOf(b).Subscriptions)
	require.NoError(t, b.Disconnect()) // every worker has returned
	for _, late := range lates {
		assert.False(t, late.Load(), "a message published after Unsubscribe returned was delivered")
	}
	n := publishers*perPublisher + churners*rounds
	assert.Len(t, br.next(t, n), n, "the hub got every publish")
	assert.Equal(t, uint64(n), statsOf(b).Published)
}

// TestHubOptionsAtNewBroker: the hub is made by NewBroker with the hub
// options given there; Init refuses them afterwards (ErrHubOptions) and
// still applies the others.
func TestHubOptionsAtNewBroker(t *testing.T) {
	b := newConnected(t, ssebroker.MaxHistoryEvents(2), ssebroker.MaxReplay(1))
	for i := 0; i < 5; i++ {
		require.NoError(t, b.Publish("t", msg(fmt.Sprint(i))))
	}
	assert.Equal(t, 2, hubOf(t, b).Stats().HistoryEvents, "MaxHistoryEvents given to NewBroker bounds its hub")
	err := b.Init(ssebroker.MaxHistoryEvents(100), ssebroker.SubscriberQueue(3))
	assert.ErrorIs(t, err, ssebroker.ErrHubOptions)
	for i := 0; i < 5; i++ {
		require.NoError(t, b.Publish("t", msg(fmt.Sprint(i))))
	}
	assert.Equal(t, 2, hubOf(t, b).Stats().HistoryEvents, "the hub is not changed by a later Init")
	require.NoError(t, b.Init(ssebroker.SubscriberQueue(4)), "other options are fine")
}
