package server_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"go-micro.dev/v4"
	"go-micro.dev/v4/broker"
	raw "go-micro.dev/v4/codec/bytes"
	"go-micro.dev/v4/metadata"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// Counter has two subscriber methods; each gets every message.
type Counter struct {
	mu   sync.Mutex
	seen []string
}

func (c *Counter) A(ctx context.Context, n *Note) error { return c.add("A:" + n.Text) }
func (c *Counter) B(ctx context.Context, n Note) error  { return c.add("B:" + n.Text) }

func (c *Counter) add(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, s)
	return nil
}

func (c *Counter) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

func TestInvalidSubscribers(t *testing.T) {
	s := newServer()
	for name, h := range map[string]any{
		"nil":             nil,
		"no context":      func(n *Note) error { return nil },
		"no error":        func(ctx context.Context, n *Note) {},
		"unexported type": func(ctx context.Context, n *unexported) error { return nil },
		"no methods":      &struct{}{},
	} {
		if err := s.Subscribe(s.NewSubscriber("t", h)); !errors.Is(err, sse.ErrInvalidSubscriber) {
			t.Errorf("%s: Subscribe = %v, want ErrInvalidSubscriber", name, err)
		}
	}
	if err := s.Subscribe(nil); !errors.Is(err, sse.ErrInvalidSubscriber) {
		t.Errorf("nil subscriber: %v", err)
	}
	// A subscriber made by another server (here go-micro's default one) is
	// taken over with its topic, handler and options.
	if err := s.Subscribe(server.NewSubscriber("t", func(ctx context.Context, n *Note) error { return nil })); err != nil {
		t.Errorf("foreign subscriber: %v", err)
	}
}

type unexported struct{}

// TestSubscriberWrappersMetadataAndMethods: a value's methods each get the
// message, wrappers run outermost first, the context carries the message
// headers as go-micro metadata, and a subscriber added while the server
// runs is subscribed at once.
func TestSubscriberWrappersMetadataAndMethods(t *testing.T) {
	var order []string
	var mu sync.Mutex
	wrap := func(name string) server.SubscriberWrapper {
		return func(next server.SubscriberFunc) server.SubscriberFunc {
			return func(ctx context.Context, m server.Message) error {
				mu.Lock()
				order = append(order, name+":"+m.Topic()+":"+m.ContentType())
				mu.Unlock()
				return next(ctx, m)
			}
		}
	}
	s := newServer(server.WrapSubscriber(wrap("outer")), server.WrapSubscriber(wrap("inner")))
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{})

	c := &Counter{}
	if err := micro.RegisterSubscriber("counts", s, c); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	if err := micro.RegisterSubscriber("counts", s, func(ctx context.Context, n *Note) error {
		md, _ := metadata.FromContext(ctx)
		got <- md["X-Trace"]
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx := metadata.NewContext(context.Background(), map[string]string{"X-Trace": "abc"})
	if err := micro.NewEvent("counts", svc.Client()).Publish(ctx, &Note{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	if tr := ssetest.Recv(t, got, "func subscriber"); tr != "abc" {
		t.Fatalf("metadata X-Trace = %q", tr)
	}
	if seen := strings.Join(c.list(), ","); seen != "A:one,B:one" {
		t.Fatalf("methods saw %q", seen)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "outer:counts:application/json,inner:counts:application/json"
	if strings.Join(order[:2], ",") != want || len(order) != 6 {
		t.Fatalf("wrapper calls = %v", order)
	}
}

// TestSubscriberContentTypesAndErrors: bodies are decoded by their content
// type; an unknown content type, a handler error and a panic come back to
// the broker as errors.
func TestSubscriberContentTypesAndErrors(t *testing.T) {
	s := newServer()
	frames := make(chan string, 1)
	if err := micro.RegisterSubscriber("raw", s, func(ctx context.Context, f *raw.Frame) error {
		frames <- string(f.Data)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := micro.RegisterSubscriber("fails", s, func(ctx context.Context, n *Note) error {
		return errors.New("handler says no")
	}); err != nil {
		t.Fatal(err)
	}
	if err := micro.RegisterSubscriber("panics", s, func(ctx context.Context, n *Note) error {
		panic("boom")
	}); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{})
	b := svc.Options().Broker

	if err := b.Publish("raw", &broker.Message{Header: map[string]string{"Content-Type": "application/octet-stream"}, Body: []byte{0, 1, 'x'}}); err != nil {
		t.Fatal(err)
	}
	if f := ssetest.Recv(t, frames, "raw frame"); f != "\x00\x01x" {
		t.Fatalf("frame = %q", f)
	}
	if err := b.Publish("raw", &broker.Message{Header: map[string]string{"Content-Type": "text/x-unknown"}, Body: []byte("x")}); err == nil || !strings.Contains(err.Error(), "unsupported Content-Type") {
		t.Fatalf("unknown content type: %v", err)
	}
	json := map[string]string{"Content-Type": "application/json"}
	if err := b.Publish("fails", &broker.Message{Header: json, Body: []byte(`{}`)}); err == nil || !strings.Contains(err.Error(), "handler says no") {
		t.Fatalf("handler error: %v", err)
	}
	if err := b.Publish("panics", &broker.Message{Header: json, Body: []byte(`{}`)}); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("panic: %v", err)
	}
	if err := b.Publish("fails", &broker.Message{Header: json, Body: []byte(`not json`)}); err == nil || !strings.Contains(err.Error(), "decode") {
		t.Fatalf("bad body: %v", err)
	}
}

// recordingRouter is a server.Router that records the messages it gets.
type recordingRouter struct {
	server.Router
	got chan server.Message
}

func (r recordingRouter) ProcessMessage(ctx context.Context, m server.Message) error {
	r.got <- m
	return nil
}

func TestWithRouter(t *testing.T) {
	r := recordingRouter{got: make(chan server.Message, 1)}
	s := newServer(server.WithRouter(r))
	if err := micro.RegisterSubscriber("routed", s, func(ctx context.Context, n *Note) error {
		t.Error("handler called despite the router")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{})
	if err := micro.NewEvent("routed", svc.Client()).Publish(context.Background(), &Note{Text: "r"}); err != nil {
		t.Fatal(err)
	}
	m := ssetest.Recv(t, r.got, "routed message")
	f, ok := m.Payload().(*raw.Frame)
	if !ok || m.Topic() != "routed" || !strings.Contains(string(f.Data), `"text":"r"`) {
		t.Fatalf("router got %s %T %+v", m.Topic(), m.Payload(), m.Payload())
	}
}

// TestSubscribersUnsubscribedAtStop: the broker subscriptions of the
// go-micro subscribers (here visible in the registry, through go-micro's
// HTTP broker) exist while the server runs and are gone after Stop; the
// subscriber endpoints are advertised with the node.
func TestSubscribersUnsubscribedAtStop(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	s := newServer()
	if err := micro.RegisterSubscriber("audit", s, func(ctx context.Context, n *Note) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := micro.RegisterSubscriber("hidden", s, func(ctx context.Context, n *Note) error { return nil }, server.InternalSubscriber(true)); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "auditor", Broker: ssetest.HTTPBroker(t, reg), Registry: reg})
	subscribed := func(topic string) bool {
		for _, n := range nodes(reg, "micro.http.broker") {
			if n.Metadata["topic"] == topic {
				return true
			}
		}
		return false
	}
	if !subscribed("audit") || !subscribed("hidden") {
		t.Fatal("subscribers not subscribed on the broker")
	}
	svcs, _ := reg.GetService("auditor")
	if len(svcs) != 1 || len(svcs[0].Endpoints) != 1 || svcs[0].Endpoints[0].Metadata["topic"] != "audit" {
		t.Fatalf("endpoints = %+v, want the audit subscriber only", svcs)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if subscribed("audit") || subscribed("hidden") {
		t.Fatal("subscribers still subscribed after Stop")
	}
}
