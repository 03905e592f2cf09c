package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go-micro.dev/v4/registry"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Publish sends ev to the events clients of topic, for code that holds the
// server (a publish handler, a ticker).
//
// Where it goes depends on the broker. With this module's broker it goes
// into the hub the events endpoint serves from, which is the broker's, so
// it reaches whatever the broker reaches. With any other
// go-micro broker it is published on that broker (codec.ToMessage), so that
// every node with clients on topic gets it; this node gets it back through
// its bridge. The broker is then the one source of order and ids are
// assigned where it is delivered, as for events any service publishes.
// Note that with a foreign broker a topic no client of this node follows is
// not subscribed by the bridge, so such an event is not kept in this node's
// history.
//
// The hub never waits on a client; a broker publish may wait on the
// network, bounded by the broker, not by ctx (go-micro brokers take no
// context): ctx is checked before publishing. It returns ErrNotRunning
// before Start and after Stop, the hub's errors (an invalid event, an
// unknown topic with ExplicitTopics) or the broker's, wrapped.
func (s *Server) Publish(ctx context.Context, topic string, ev *codec.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sse server: publish to %q: %w", topic, err)
	}
	r := s.current()
	if r == nil {
		return ErrNotRunning
	}
	if ev == nil {
		return fmt.Errorf("sse server: publish to %q: nil event", topic)
	}
	if r.bridge != nil {
		if err := ev.Validate(); err != nil {
			return fmt.Errorf("sse server: publish to %q: %w", topic, err)
		}
		err := r.bridge.broker.Publish(topic, codec.ToMessage(ev))
		// go-micro's HTTP broker reports "no subscriber anywhere" as the
		// registry's not-found; like the memory broker, that is no error.
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return fmt.Errorf("sse server: publish to %q on broker %s: %w", topic, r.bridge.broker.String(), err)
		}
		return nil
	}
	return publishHub(r.hub, topic, ev)
}

// TryPublish puts ev into this node's hub for the clients of topic: it never
// waits (not on a client, not on a network) and never goes through the
// broker, whatever the broker is, so with a foreign broker the clients of
// other nodes do not get it. It returns ErrNotRunning before Start and after
// Stop, or the hub's error, wrapped.
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

// PublishData publishes v encoded as JSON (with no trailing newline) as the
// data of an event of the default type, like Publish.
func (s *Server) PublishData(ctx context.Context, topic string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sse server: publish to %q: encode data: %w", topic, err)
	}
	return s.Publish(ctx, topic, &codec.Event{Data: b})
}

func publishHub(h *hub.Hub, topic string, ev *codec.Event) error {
	if _, err := h.Publish(topic, ev); err != nil {
		return fmt.Errorf("sse server: publish to %q: %w", topic, err)
	}
	return nil
}
