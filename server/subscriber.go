package server

import (
	"context"
	"fmt"
	"reflect"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
)

var (
	typeOfError   = reflect.TypeFor[error]()
	typeOfContext = reflect.TypeFor[context.Context]()
)

// subscriber is a go-micro subscriber of this server: a topic and the
// functions that receive its messages, each func(context.Context, T) error.
type subscriber struct {
	topic     string
	value     any
	opts      server.SubscriberOptions
	handlers  []subHandler
	endpoints []*registry.Endpoint
	err       error // why the value cannot subscribe; returned by Subscribe
}

// subHandler is one function receiving messages: fn(ctx, *T) or fn(ctx, T).
type subHandler struct {
	fn      reflect.Value
	reqType reflect.Type
}

// NewSubscriber returns a go-micro subscriber of topic, as go-micro's rpc
// server does: h is a func(context.Context, *T) error, or a value whose
// exported methods all have that signature (each gets every message).
// Options are go-micro's (server.SubscriberQueue, server.DisableAutoAck,
// server.InternalSubscriber, server.SubscriberContext). A handler of the
// wrong shape is reported by Subscribe with ErrInvalidSubscriber.
func (s *Server) NewSubscriber(topic string, h interface{}, opts ...server.SubscriberOption) server.Subscriber {
	return newSubscriber(topic, h, server.NewSubscriberOptions(opts...))
}

func newSubscriber(topic string, h any, opts server.SubscriberOptions) *subscriber {
	sb := &subscriber{topic: topic, value: h, opts: opts}
	if h == nil {
		sb.err = fmt.Errorf("%w: nil handler for topic %q", ErrInvalidSubscriber, topic)
		return sb
	}
	v := reflect.ValueOf(h)
	if v.Kind() == reflect.Func {
		sb.add("Func", v)
	} else {
		name := reflect.Indirect(v).Type().Name()
		for i := 0; i < v.NumMethod(); i++ {
			sb.add(name+"."+v.Type().Method(i).Name, v.Method(i))
		}
		if len(sb.handlers) == 0 && sb.err == nil {
			sb.err = fmt.Errorf("%w: %T has no exported methods", ErrInvalidSubscriber, h)
		}
	}
	return sb
}

// add validates fn (named name) and adds it as a handler and an endpoint.
func (sb *subscriber) add(name string, fn reflect.Value) {
	if sb.err != nil {
		return
	}
	t := fn.Type()
	const want = "func(context.Context, *T) error"
	switch {
	case t.NumIn() != 2 || t.In(0) != typeOfContext:
		sb.err = fmt.Errorf("%w: %s has signature %v, want %s", ErrInvalidSubscriber, name, t, want)
	case t.NumOut() != 1 || t.Out(0) != typeOfError:
		sb.err = fmt.Errorf("%w: %s returns %v, want error", ErrInvalidSubscriber, name, t)
	case !exportedOrBuiltin(t.In(1)):
		sb.err = fmt.Errorf("%w: %s argument type %v is not exported", ErrInvalidSubscriber, name, t.In(1))
	}
	if sb.err != nil {
		return
	}
	req := t.In(1)
	sb.handlers = append(sb.handlers, subHandler{fn: fn, reqType: req})
	base := req
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	sb.endpoints = append(sb.endpoints, &registry.Endpoint{
		Name:     name,
		Request:  &registry.Value{Name: base.Name(), Type: base.Name()},
		Metadata: map[string]string{"topic": sb.topic, "subscriber": "true"},
	})
}

func exportedOrBuiltin(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == "" || t.Name() != "" && t.Name()[0] >= 'A' && t.Name()[0] <= 'Z'
}

// Topic is the topic subscribed to.
func (sb *subscriber) Topic() string { return sb.topic }

// Subscriber is the handler value given to NewSubscriber.
func (sb *subscriber) Subscriber() interface{} { return sb.value }

// Endpoints describes the handlers for the registry.
func (sb *subscriber) Endpoints() []*registry.Endpoint { return sb.endpoints }

// Options are the go-micro subscriber options.
func (sb *subscriber) Options() server.SubscriberOptions { return sb.opts }

// Subscribe adds a go-micro subscriber (made by NewSubscriber; one made by
// another server is rebuilt from its topic, handler and options). It is
// subscribed on the broker at Start, or at once if the server runs, with
// its queue group (server.SubscriberQueue), auto-ack setting and context,
// and unsubscribed at Stop. It returns ErrInvalidSubscriber (wrapped) for a
// handler of the wrong shape, or the broker's error.
func (s *Server) Subscribe(sb server.Subscriber) error {
	if sb == nil {
		return fmt.Errorf("%w: nil", ErrInvalidSubscriber)
	}
	own, ok := sb.(*subscriber)
	if !ok {
		own = newSubscriber(sb.Topic(), sb.Subscriber(), sb.Options())
	}
	if own.err != nil {
		return own.err
	}
	s.life.Lock()
	defer s.life.Unlock()
	sub := &subscription{sb: own}
	if r := s.current(); r != nil {
		bs, err := s.brokerSubscribe(r.broker, own)
		if err != nil {
			return err
		}
		sub.sub = bs
	}
	s.mu.Lock()
	s.subs = append(s.subs, sub)
	s.mu.Unlock()
	return nil
}

// brokerSubscribe subscribes sb on b as go-micro's rpc server does.
func (s *Server) brokerSubscribe(b broker.Broker, sb *subscriber) (broker.Subscriber, error) {
	if b == nil {
		return nil, fmt.Errorf("sse server: subscribe to %q: no broker", sb.topic)
	}
	var opts []broker.SubscribeOption
	if q := sb.opts.Queue; q != "" {
		opts = append(opts, broker.Queue(q))
	}
	if ctx := sb.opts.Context; ctx != nil {
		opts = append(opts, broker.SubscribeContext(ctx))
	}
	if !sb.opts.AutoAck {
		opts = append(opts, broker.DisableAutoAck())
	}
	bs, err := b.Subscribe(sb.topic, func(e broker.Event) error { return s.process(sb, e) }, opts...)
	if err != nil {
		return nil, fmt.Errorf("sse server: subscribe to %q on broker %s: %w", sb.topic, b.String(), err)
	}
	return bs, nil
}

// subscribeAll subscribes every subscriber on b (Start). On error the ones
// subscribed are unsubscribed.
func (s *Server) subscribeAll(b broker.Broker) error {
	s.mu.RLock()
	subs := append([]*subscription(nil), s.subs...)
	s.mu.RUnlock()
	for _, sub := range subs {
		bs, err := s.brokerSubscribe(b, sub.sb)
		if err != nil {
			s.unsubscribeAll()
			return err
		}
		s.mu.Lock()
		sub.sub = bs
		s.mu.Unlock()
	}
	return nil
}

// unsubscribeAll ends every broker subscription of the subscribers (Stop).
func (s *Server) unsubscribeAll() {
	s.mu.Lock()
	var subs []broker.Subscriber
	for _, sub := range s.subs {
		if sub.sub != nil {
			subs = append(subs, sub.sub)
			sub.sub = nil
		}
	}
	logger := s.opts.Logger
	s.mu.Unlock()
	for _, bs := range subs {
		if err := bs.Unsubscribe(); err != nil {
			logf(logger, "sse server: unsubscribe from %q: %v", bs.Topic(), err)
		}
	}
}

// followsTopic reports whether a go-micro subscriber without a queue group
// follows topic (the bridge then keeps its subscription on the broker).
func (s *Server) followsTopic(topic string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sub := range s.subs {
		if sub.sb.topic == topic && sub.sb.opts.Queue == "" {
			return true
		}
	}
	return false
}
