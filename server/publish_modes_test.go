package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go-micro.dev/v4"
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// hubSetup are the hub options of a test, given to whichever owns the hub
// in the mode under test: this module's broker, or the server bridging a
// foreign one (OwnHub).
type hubSetup struct {
	explicit, keepIDs bool
	bounds            []broker.Option
}

func (h hubSetup) options() []broker.Option {
	o := append([]broker.Option(nil), h.bounds...)
	if h.explicit {
		o = append(o, ssebroker.ExplicitTopics())
	}
	if h.keepIDs {
		o = append(o, ssebroker.KeepPublisherIDs())
	}
	return o
}

// publishMode is one way a node's hub is owned and fed.
type publishMode struct {
	name string
	// fed: the hub is fed from JetStream.
	fed bool
	// sseBroker: the broker is this module's.
	sseBroker bool
	// broker returns the node's broker and the hub options the server
	// takes itself (those of a hub of its own).
	broker func(t *testing.T, h hubSetup) (broker.Broker, []server.Option)
}

var publishModes = []publishMode{
	{name: "in-process", sseBroker: true, broker: func(t *testing.T, h hubSetup) (broker.Broker, []server.Option) {
		return ssebroker.NewBroker(h.options()...), nil
	}},
	{name: "jetstream", fed: true, sseBroker: true, broker: func(t *testing.T, h hubSetup) (broker.Broker, []server.Option) {
		nc := ssetest.NATSConn(t, ssetest.JetStreamServer(t))
		return ssebroker.NewBroker(append([]broker.Option{ssebroker.JetStream(nc, "events")}, h.options()...)...), nil
	}},
	{name: "bridged", broker: func(t *testing.T, h hubSetup) (broker.Broker, []server.Option) {
		return broker.NewMemoryBroker(), []server.Option{sse.OwnHub(h.options()...)}
	}},
}

// startMode starts a node of mode m with the hub options h and the server
// options given, creating the topics created before it starts.
func startMode(t *testing.T, m publishMode, h hubSetup, created []string, opts ...server.Option) (*sse.Server, *ssetest.Service) {
	t.Helper()
	b, hubOpts := m.broker(t, h)
	s := newServer(append(hubOpts, opts...)...)
	for _, name := range created {
		if err := s.CreateTopic(name); err != nil {
			t.Fatal(err)
		}
	}
	return s, ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "sse", Broker: b})
}

// openTopic opens an events stream of topic on svc and waits until the
// server has it.
func openTopic(t *testing.T, s *sse.Server, svc *ssetest.Service, topic string) *ssetest.Stream {
	t.Helper()
	before := s.Stats().Subscribers
	st := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), topic), "")
	ssetest.Eventually(t, "stream open", func() bool { return s.Stats().Subscribers == before+1 })
	return st
}

// TestPublishReachesWhatBrokerPublishReaches: in every mode, srv.Publish
// and PublishData reach the browsers of the topic, the server's own go-micro
// subscriber of the topic (micro.RegisterSubscriber) and the broker's
// in-process subscriptions, as broker.Publish does.
func TestPublishReachesWhatBrokerPublishReaches(t *testing.T) {
	for _, m := range publishModes {
		t.Run(m.name, func(t *testing.T) {
			b, hubOpts := m.broker(t, hubSetup{})
			s := newServer(hubOpts...)
			notes := make(chan *Note, 4)
			if err := micro.RegisterSubscriber("news", s, func(ctx context.Context, n *Note) error {
				notes <- n
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			svc := ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "sse", Broker: b})
			msgs := make(chan *broker.Message, 4)
			sub, err := b.Subscribe("news", func(e broker.Event) error {
				msgs <- e.Message()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			st := openTopic(t, s, svc, "news")

			if err := s.PublishData(context.Background(), "news", Note{Text: "data", N: 1}); err != nil {
				t.Fatalf("PublishData: %v", err)
			}
			if got := st.Next(t); string(got.Data) != `{"text":"data","n":1}` {
				t.Fatalf("browser got %q", got.Data)
			}
			if n := ssetest.Recv(t, notes, "the server's go-micro subscriber"); *n != (Note{Text: "data", N: 1}) {
				t.Fatalf("subscriber got %+v", n)
			}
			if msg := ssetest.Recv(t, msgs, "the broker subscription"); strings.TrimSpace(string(msg.Body)) != `{"text":"data","n":1}` {
				t.Fatalf("broker subscription got %q", msg.Body)
			}

			ev := &codec.Event{Event: "note", Data: []byte(`{"text":"event","n":2}`)}
			if err := s.Publish(context.Background(), "news", ev); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got := st.Next(t); got.Event != "note" || string(got.Data) != string(ev.Data) {
				t.Fatalf("browser got %q %q", got.Event, got.Data)
			}
			if n := ssetest.Recv(t, notes, "the server's go-micro subscriber"); *n != (Note{Text: "event", N: 2}) {
				t.Fatalf("subscriber got %+v", n)
			}
			msg := ssetest.Recv(t, msgs, "the broker subscription")
			if string(msg.Body) != string(ev.Data) || msg.Header[codec.HeaderEvent] != "note" {
				t.Fatalf("broker subscription got %q %v", msg.Body, msg.Header)
			}
		})
	}
}

// TestPublishErrorsSameInEveryMode: an event no client could get is
// refused by Publish, PublishData and the broker's Publish with one error,
// exported by both public packages and matched with errors.Is, whatever
// the mode, its context given once; nothing of it reaches a client.
func TestPublishErrorsSameInEveryMode(t *testing.T) {
	long := strings.Repeat("i", sse.MaxPublisherIDLength+1)
	for _, m := range publishModes {
		t.Run(m.name, func(t *testing.T) {
			s, svc := startMode(t, m, hubSetup{explicit: true, keepIDs: true}, []string{"news"})
			st := openTopic(t, s, svc, "news")
			ctx := context.Background()
			once := func(what string, err error, want ...error) {
				t.Helper()
				for _, w := range want {
					if !errors.Is(err, w) {
						t.Errorf("%s: %v, want %v", what, err, w)
					}
				}
				if err != nil && strings.Count(err.Error(), "publish to") != 1 {
					t.Errorf("%s: %q: context not given exactly once", what, err)
				}
			}
			data := []byte("x")
			once("Publish to a topic not created", s.Publish(ctx, "gone", &codec.Event{Data: data}), sse.ErrUnknownTopic, ssebroker.ErrUnknownTopic)
			once("PublishData to a topic not created", s.PublishData(ctx, "gone", 1), sse.ErrUnknownTopic)
			once("Publish with a long id", s.Publish(ctx, "news", &codec.Event{ID: long, Data: data}), sse.ErrIDTooLong, ssebroker.ErrIDTooLong)
			once("Publish to an empty topic", s.Publish(ctx, "", &codec.Event{Data: data}), sse.ErrInvalidTopic, ssebroker.ErrInvalidTopic)
			once("Publish of a binary body", s.Publish(ctx, "news", &codec.Event{Data: []byte{0xff}}), codec.ErrInvalidUTF8)
			if m.sseBroker {
				b := svc.Options().Broker
				once("broker Publish to an empty topic", b.Publish("", codec.ToMessage(&codec.Event{Data: data})), ssebroker.ErrInvalidTopic, sse.ErrInvalidTopic)
				once("broker Publish to a topic not created", b.Publish("gone", codec.ToMessage(&codec.Event{Data: data})), ssebroker.ErrUnknownTopic)
				once("broker Publish with a long id", b.Publish("news", codec.ToMessage(&codec.Event{ID: long, Data: data})), ssebroker.ErrIDTooLong)
			}
			if m.fed {
				if err := s.TryPublish("news", &codec.Event{Data: data}); !errors.Is(err, sse.ErrFedHub) {
					t.Errorf("TryPublish on a fed hub: %v, want ErrFedHub", err)
				}
			} else {
				once("TryPublish to a topic not created", s.TryPublish("gone", &codec.Event{Data: data}), sse.ErrUnknownTopic)
				once("TryPublish with a long id", s.TryPublish("news", &codec.Event{ID: long, Data: data}), sse.ErrIDTooLong)
			}

			if err := s.Publish(ctx, "news", &codec.Event{ID: "ok", Data: []byte("ok")}); err != nil {
				t.Fatal(err)
			}
			if got := st.Next(t); got.ID != "ok" {
				t.Fatalf("first event the client got: %q %q, want the one accepted", got.ID, got.Data)
			}
		})
	}
}

// TestPublishEventTooLargeForTheBounds: an event the history could not
// hold (larger than MaxHistoryBytes, than HistoryBudget, or without history
// than the live window) is refused by Publish with ErrEventTooLarge in every
// mode, and nobody is cut off: a reader that had read everything gets the
// next event. One that fits is delivered.
func TestPublishEventTooLargeForTheBounds(t *testing.T) {
	bounds := []struct {
		name       string
		bound      broker.Option
		fits, over int // data sizes
	}{
		{"MaxHistoryBytes", ssebroker.MaxHistoryBytes(4096), 3000, 5000},
		{"HistoryBudget", ssebroker.HistoryBudget(4096), 3000, 5000},
		{"no history", ssebroker.MaxHistoryEvents(0), 512 << 10, 1<<20 + 1},
	}
	for _, m := range publishModes {
		for _, b := range bounds {
			t.Run(m.name+"/"+b.name, func(t *testing.T) {
				s, svc := startMode(t, m, hubSetup{bounds: []broker.Option{b.bound}}, nil)
				st := openTopic(t, s, svc, "news")
				ctx := context.Background()
				if err := s.Publish(ctx, "news", &codec.Event{Data: []byte("first")}); err != nil {
					t.Fatal(err)
				}
				if got := st.Next(t); string(got.Data) != "first" {
					t.Fatalf("got %q", got.Data)
				}
				over := &codec.Event{Data: []byte(strings.Repeat("o", b.over))}
				err := s.Publish(ctx, "news", over)
				if !errors.Is(err, sse.ErrEventTooLarge) || !errors.Is(err, ssebroker.ErrEventTooLarge) {
					t.Fatalf("Publish of %d bytes: %v, want ErrEventTooLarge", b.over, err)
				}
				if m.sseBroker {
					err := svc.Options().Broker.Publish("news", codec.ToMessage(over))
					if !errors.Is(err, ssebroker.ErrEventTooLarge) {
						t.Fatalf("broker Publish of %d bytes: %v, want ErrEventTooLarge", b.over, err)
					}
				}
				if !m.fed {
					if err := s.TryPublish("news", over); !errors.Is(err, sse.ErrEventTooLarge) {
						t.Fatalf("TryPublish of %d bytes: %v, want ErrEventTooLarge", b.over, err)
					}
				}
				fits := strings.Repeat("f", b.fits)
				if err := s.Publish(ctx, "news", &codec.Event{Data: []byte(fits)}); err != nil {
					t.Fatalf("Publish of %d bytes: %v", b.fits, err)
				}
				if got := st.Next(t); got.Event != "" || string(got.Data) != fits {
					t.Fatalf("after the refusal: %q %d bytes, want the %d bytes that fit", got.Event, len(got.Data), b.fits)
				}
				if n := s.Stats().CutOffSlow; n != 0 {
					t.Fatalf("CutOffSlow = %d", n)
				}
			})
		}
	}
}

// TestPublishEventDataToRawSubscriber: an event published with Publish
// (Content-Type text/event-stream) reaches a go-micro subscriber of the
// server that takes raw data ([]byte, string) as it is.
func TestPublishEventDataToRawSubscriber(t *testing.T) {
	s := newServer()
	raw := make(chan string, 2)
	if err := micro.RegisterSubscriber("raw", s, func(ctx context.Context, b *[]byte) error {
		raw <- "bytes:" + string(*b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := micro.RegisterSubscriber("raw", s, func(ctx context.Context, text *string) error {
		raw <- "string:" + *text
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "sse", Broker: ssebroker.NewBroker()})
	if err := s.Publish(context.Background(), "raw", &codec.Event{Data: []byte("not JSON")}); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{ssetest.Recv(t, raw, "a raw subscriber"): true, ssetest.Recv(t, raw, "a raw subscriber"): true}
	if !got["bytes:not JSON"] || !got["string:not JSON"] {
		t.Fatalf("raw subscribers got %v", got)
	}
}
