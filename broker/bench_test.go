package broker_test

import (
	"fmt"
	"testing"
	"time"

	mbroker "go-micro.dev/v4/broker"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// drainEvery is how many publishes the benchmark lets queue up before it
// drains every subscriber (outside the timed part), well below the hub's
// default queue limit, so no subscriber is ever cut off.
const drainEvery = 256

// subscribers are n hub subscribers of one topic that the benchmark
// drains itself, so that no goroutine competes with the publishes measured.
type subscribers struct {
	subs []*hub.Subscriber
	buf  []byte
}

func newSubscribers(b *testing.B, h *hub.Hub, topic string, n int) *subscribers {
	b.Helper()
	ss := &subscribers{}
	for range n {
		s, err := h.Subscribe([]string{topic}, "")
		if err != nil {
			b.Fatal(err)
		}
		ss.subs = append(ss.subs, s)
	}
	b.Cleanup(func() {
		for _, s := range ss.subs {
			s.Close()
		}
	})
	return ss
}

// drain empties every queue, failing if a subscriber was cut off.
func (ss *subscribers) drain(b *testing.B) {
	for _, s := range ss.subs {
		var err error
		if ss.buf, err = drain(s, ss.buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublish compares a publish through the broker with a direct hub
// publish of the same event into the same hub with 1,000 subscribers
// (target: broker ≤ 1.2x hub); with 0 subscribers it shows the broker's own
// cost (mapping the message, the connected check, the topic lookup).
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{1000, 0} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) { benchmarkPublish(b, n) })
	}
}

func benchmarkPublish(b *testing.B, n int) {
	br := ssebroker.NewBroker()
	if err := br.Connect(); err != nil {
		b.Fatal(err)
	}
	defer br.Disconnect()
	h := br.(hub.Provider).SSEHub()
	ss := newSubscribers(b, h, "bench", n)
	data := []byte(`{"n":12345,"text":"a typical small JSON event body"}`)
	// as go-micro's client publishes it: JSON with a trailing newline
	m := &mbroker.Message{
		Header: map[string]string{"Content-Type": "application/json", "Micro-Topic": "bench", "Micro-Id": "5b0d3f0e-8d4b-4a43-9f0e-4d2c1b7a9e11"},
		Body:   append(data[:len(data):len(data)], '\n'),
	}

	// publishLoop times publish, draining the subscribers (untimed) every
	// drainEvery publishes.
	publishLoop := func(b *testing.B, publish func() error) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := publish(); err != nil {
				b.Fatal(err)
			}
			if i++; i%drainEvery == 0 {
				b.StopTimer()
				ss.drain(b)
				b.StartTimer()
			}
		}
		ss.drain(b)
	}
	b.Run("hub", func(b *testing.B) {
		publishLoop(b, func() error {
			_, err := h.Publish("bench", &codec.Event{Data: data})
			return err
		})
	})
	b.Run("broker", func(b *testing.B) {
		publishLoop(b, func() error { return br.Publish("bench", m) })
	})
	// interleaved alternates blocks of drainEvery publishes, one block
	// through the hub, the next through the broker, timing each block, so
	// that both see the same machine load (the shared machine's load drifts
	// between the runs above); it reports each one's ns per publish and the
	// ratio broker/hub.
	b.Run("interleaved", func(b *testing.B) {
		var spent [2]time.Duration // 0: hub, 1: broker
		var count [2]int
		i, kind := 0, 0
		start := time.Now()
		for b.Loop() {
			if kind == 0 {
				if _, err := h.Publish("bench", &codec.Event{Data: data}); err != nil {
					b.Fatal(err)
				}
			} else if err := br.Publish("bench", m); err != nil {
				b.Fatal(err)
			}
			count[kind]++
			if i++; i%drainEvery == 0 {
				spent[kind] += time.Since(start)
				ss.drain(b)
				kind ^= 1
				start = time.Now()
			}
		}
		spent[kind] += time.Since(start)
		ss.drain(b)
		if count[0] == 0 || count[1] == 0 {
			return // too short to compare
		}
		hubNs := float64(spent[0].Nanoseconds()) / float64(count[0])
		brokerNs := float64(spent[1].Nanoseconds()) / float64(count[1])
		b.ReportMetric(hubNs, "hub-ns/pub")
		b.ReportMetric(brokerNs, "broker-ns/pub")
		b.ReportMetric(brokerNs/hubNs, "broker/hub")
	})
}
