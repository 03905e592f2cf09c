package bridge

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v4/broker"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// countingBroker counts Subscribe calls and fails them while fail is set.
type countingBroker struct {
	broker.Broker
	subscribes atomic.Int32
	fail       atomic.Bool
}

var errRefused = errors.New("subscribe refused")

func (b *countingBroker) Subscribe(topic string, h broker.Handler, opts ...broker.SubscribeOption) (broker.Subscriber, error) {
	b.subscribes.Add(1)
	if b.fail.Load() {
		return nil, errRefused
	}
	return b.Broker.Subscribe(topic, h, opts...)
}

func newBridge(t *testing.T, opts ...hub.Option) (*Bridge, *countingBroker, *hub.Hub) {
	t.Helper()
	mb := broker.NewMemoryBroker()
	if err := mb.Connect(); err != nil {
		t.Fatal(err)
	}
	b := &countingBroker{Broker: mb}
	h := hub.New(opts...)
	br := New(Config{Broker: b, Hub: h, Logger: ssetest.NewLog(), Linger: 20 * time.Millisecond})
	t.Cleanup(func() {
		br.Close()
		h.Close()
		_ = mb.Disconnect()
	})
	return br, b, h
}

func TestAcquireSubscribesFeedsTheHubAndLingers(t *testing.T) {
	br, b, h := newBridge(t)
	topics := []string{"news"}
	if err := br.Acquire(context.Background(), nil, topics); err != nil {
		t.Fatal(err)
	}
	if br.Subscribed() != 1 {
		t.Fatalf("Subscribed = %d, want 1", br.Subscribed())
	}
	if err := b.Publish("news", &broker.Message{Body: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("news", &broker.Message{Body: []byte{0xff, 0xfe}}); err != nil {
		t.Fatal(err)
	}
	ssetest.Eventually(t, "the hub has the text message", func() bool { return h.Stats().Published == 1 })
	ssetest.Eventually(t, "the binary message is skipped", func() bool { return br.BinarySkipped() == 1 })
	br.Release(topics)
	ssetest.Eventually(t, "unsubscribed after the linger", func() bool { return br.Subscribed() == 0 })
}

func TestAcquireUnknownTopicNeverSubscribes(t *testing.T) {
	br, b, _ := newBridge(t, hub.ExplicitTopics())
	err := br.Acquire(context.Background(), nil, []string{"nope"})
	if !errors.Is(err, hub.ErrUnknownTopic) {
		t.Fatalf("Acquire = %v, want hub.ErrUnknownTopic", err)
	}
	if n := b.subscribes.Load(); n != 0 {
		t.Fatalf("the broker was asked %d times", n)
	}
}

func TestAcquireFailureIsDownWithBackoff(t *testing.T) {
	br, b, _ := newBridge(t)
	b.fail.Store(true)
	var down *DownError
	err := br.Acquire(context.Background(), nil, []string{"a"})
	if !errors.As(err, &down) || !errors.Is(err, errRefused) || down.RetryAfter <= 0 || down.Topic != "a" {
		t.Fatalf("Acquire = %v, want a *DownError of a with a RetryAfter", err)
	}
	// Within the backoff no new attempt is made.
	if err := br.Acquire(context.Background(), nil, []string{"a"}); !errors.As(err, &down) {
		t.Fatalf("second Acquire = %v, want a *DownError", err)
	}
	if n := b.subscribes.Load(); n != 1 {
		t.Fatalf("%d Subscribe attempts within the backoff, want 1", n)
	}
	if br.Subscribed() != 0 {
		t.Fatalf("Subscribed = %d after failures", br.Subscribed())
	}
}

func TestAcquireAfterCloseFails(t *testing.T) {
	br, _, _ := newBridge(t)
	br.Close()
	if err := br.Acquire(context.Background(), nil, []string{"a"}); !errors.Is(err, hub.ErrClosed) {
		t.Fatalf("Acquire after Close = %v, want hub.ErrClosed", err)
	}
}
