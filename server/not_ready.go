package server

import (
	"context"
	"net/http"

	"go-micro.dev/v4/broker"
)

// readiness is the broker's Ready (this module's broker has one), or nil
// for a broker without: its readiness is not known and never refuses.
// This module's Ready reads state the broker keeps (no network call), so
// it is cheap enough to ask on every request.
func readiness(b broker.Broker) func(context.Context) error {
	if r, ok := b.(interface{ Ready(context.Context) error }); ok {
		return r.Ready
	}
	return nil
}

// checkReady refuses a new stream while the broker cannot feed the hub (a
// JetStream node behind its stream, or away from NATS, for longer than its
// bound): 503 with a Retry-After of Retry plus a random part of
// ShutdownJitter, the spread of Stop's last retry, so that the clients
// sent away do not all come back in the same instant.
func (e *endpoint) checkReady(ctx context.Context) *refusal {
	if e.ready == nil {
		return nil
	}
	err := e.ready(ctx)
	if err == nil {
		return nil
	}
	return &refusal{status: http.StatusServiceUnavailable, reason: ReasonNotReady, text: "not ready: " + err.Error(), retryAfter: e.jitteredRetry()}
}
