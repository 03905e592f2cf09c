package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/registry"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Publish sends ev to topic through the service's broker, for code that
// holds the server (a publish handler, a ticker): it reaches what the
// broker's Publish of the same message reaches, the events clients of
// every node, the go-micro subscribers of the topic (micro.RegisterSubscriber,
// the broker's in-process subscriptions) and, with ssebroker.JetStream,
// the stream. The event goes as codec.ToMessage makes it: the data is the
// body, with Content-Type text/event-stream (which this server's go-micro
// subscribers decode as the raw data, or as JSON into any other type);
// Comment is not carried. With no broker at all it goes into this node's
// hub only. Ids are assigned where the event enters a hub, as for events
// any service publishes.
//
// An event no client could get is refused before anything is sent, with
// the same error whatever the broker (bridged, this module's, JetStream):
// one wrapping ErrInvalidTopic, ErrUnknownTopic (with ExplicitTopics, and
// no go-micro subscriber of this node on the topic), ErrIDTooLong (with
// KeepPublisherIDs), ErrEventTooLarge, or a codec error (codec.ErrInvalidID,
// codec.ErrInvalidEvent, codec.ErrInvalidRetry, and codec.ErrInvalidUTF8 for
// data that is not UTF-8 without Base64Data). It returns ErrNotRunning
// before Start and after Stop; the broker's errors (with JetStream, one
// wrapping ssebroker.ErrNotAcknowledged); and ctx's error when it ended
// before publishing. ctx bounds the wait for JetStream's acknowledgement;
// other go-micro brokers take no context. Errors carry their context once.
func (s *Server) Publish(ctx context.Context, topic string, ev *codec.Event) error {
	if ev == nil {
		return fmt.Errorf("sse server: publish to %q: nil event", topic)
	}
	return s.publish(ctx, topic, ev, codec.ToMessage(ev))
}

// PublishData publishes v encoded as JSON (with no trailing newline) as the
// data of an event of the default type, like Publish; the go-micro message
// has Content-Type application/json, as micro.NewEvent publishes, so
// go-micro subscribers decode it into their own type.
func (s *Server) PublishData(ctx context.Context, topic string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sse server: publish to %q: encode data: %w", topic, err)
	}
	m := &broker.Message{Header: map[string]string{codec.HeaderContentType: "application/json"}, Body: b}
	return s.publish(ctx, topic, &codec.Event{Data: b}, m)
}

// TryPublish puts ev into this node's hub for the clients of topic: it never
// waits (not on a client, not on a network) and never goes through the
// broker, whatever the broker is: the clients of other nodes and go-micro
// subscribers do not get it. It returns ErrNotRunning before Start and after
// Stop, ErrFedHub when the hub is fed from JetStream (publish there with
// Publish), and otherwise Publish's refusals.
func (s *Server) TryPublish(topic string, ev *codec.Event) error {
	r := s.current()
	if r == nil {
		return ErrNotRunning
	}
	if ev == nil {
		return fmt.Errorf("sse server: publish to %q: nil event", topic)
	}
	return publishHub(r.hub, topic, ev)
}

// publish is Publish and PublishData: ev is what the clients get, m the
// go-micro message of it.
func (s *Server) publish(ctx context.Context, topic string, ev *codec.Event, m *broker.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sse server: publish to %q: %w", topic, err)
	}
	r := s.current()
	if r == nil {
		return ErrNotRunning
	}
	switch {
	case r.bridge == nil && r.ownHub: // no broker: this node's hub is all there is
		return publishHub(r.hub, topic, ev)
	case r.bridge == nil:
		// This module's broker checks the message against the hub it
		// owns, in every mode, and gives its errors their context. Only
		// data browsers cannot read is refused here: the broker would
		// send it to its in-process subscriptions alone.
		if r.hub.DataEncoding() == codec.DataText && !utf8.Valid(ev.Data) {
			return fmt.Errorf("sse server: publish to %q: %w", topic, codec.ErrInvalidUTF8)
		}
		return r.broker.Publish(topic, m, broker.PublishContext(ctx))
	}
	// A foreign broker: the bridge drops what the hub refuses, so what it
	// would refuse is refused here, before the broker has it.
	if err := r.hub.Check(topic, ev); err != nil && !(errors.Is(err, hub.ErrUnknownTopic) && s.hasSubscriber(topic)) {
		return fmt.Errorf("sse server: publish to %q: %w", topic, err)
	}
	err := r.bridge.Broker().Publish(topic, m, broker.PublishContext(ctx))
	// go-micro's HTTP broker reports "no subscriber anywhere" as the
	// registry's not-found; like the memory broker, that is no error.
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return fmt.Errorf("sse server: publish to %q on broker %s: %w", topic, r.bridge.Broker().String(), err)
	}
	return nil
}

// hasSubscriber reports whether a go-micro subscriber of the server
// follows topic.
func (s *Server) hasSubscriber(topic string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sub := range s.subs {
		if sub.sb.topic == topic {
			return true
		}
	}
	return false
}

func publishHub(h *hub.Hub, topic string, ev *codec.Event) error {
	_, err := h.Publish(topic, ev)
	switch {
	case errors.Is(err, hub.ErrFed):
		return fmt.Errorf("sse server: publish to %q: %w", topic, ErrFedHub)
	case err != nil:
		return fmt.Errorf("sse server: publish to %q: %w", topic, err)
	}
	return nil
}
