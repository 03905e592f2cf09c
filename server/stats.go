package server

import (
	"maps"

	"github.com/go-micro-sse/go-micro-sse/internal/writepath"
)

// What a server counts: Server.Stats is the hub's counters (HubStats),
// the bridge's and the events endpoint's (EndpointStats), all atomic
// counters the write path keeps anyway.

// HubStats are the state and counters of the hub a server serves from
// (shared with this module's broker when that is the broker).
type HubStats struct {
	// Topics is the number of topics held: with streams, history or
	// created (CreateTopic).
	Topics int
	// Subscribers is the number of open streams of every server sharing
	// the hub.
	Subscribers int
	// Published counts the events published into the hub since it was
	// made.
	Published uint64
	// Delivered counts the frames streams read, live and replayed, reset
	// events included.
	Delivered uint64
	// CutOffSlow counts the streams ended because they fell further
	// behind than the history reaches (an event they had not read was
	// evicted); each client resumes with sse-reset (evicted) at the gap.
	CutOffSlow uint64
	// HistoryEvents is the number of events held in the history, all
	// topics.
	HistoryEvents int
	// HistoryBytes is the size of the encoded events held in the history,
	// all topics (what ssebroker.HistoryBudget bounds).
	HistoryBytes int
}

// Stats is a snapshot of what the server holds and counted: its hub's
// (shared with this module's broker when that is the broker) and its
// events endpoint's since the last Start.
type Stats struct {
	HubStats
	// BridgedTopics is the number of topics the bridge is subscribed to on
	// a foreign broker (0 with this module's broker).
	BridgedTopics int
	// BinarySkipped counts messages the bridge got from a foreign broker
	// whose body is not UTF-8 while neither the hub (ssebroker.Base64Data
	// given to OwnHub) nor the message (Sse-Encoding: base64) asked for
	// base64: no client got them. With this module's broker the broker
	// counts them (its Stats).
	BinarySkipped uint64
	// Endpoint is the events endpoint's count.
	Endpoint EndpointStats
}

// Stats returns a snapshot of the server's counters; all zero when the
// server is not running.
func (s *Server) Stats() Stats {
	r := s.current()
	if r == nil {
		return Stats{}
	}
	st := Stats{HubStats: HubStats(r.hub.Stats()), Endpoint: r.endpoint.Stats()}
	if r.bridge != nil {
		st.BridgedTopics = r.bridge.Subscribed()
		st.BinarySkipped = r.bridge.BinarySkipped()
	}
	return st
}

// EndpointStats counts what the events endpoint did since it started.
type EndpointStats struct {
	// Open is the number of streams open now.
	Open int
	// Shared is how many of the open streams are written by the shared
	// writers (HTTP/1.1 connections taken over); the others hold a
	// goroutine each.
	Shared int
	// Accepted counts the streams opened.
	Accepted uint64
	// Refused counts refused requests by reason (the Reason constants).
	Refused map[string]uint64
	// How the streams that ended ended, each counted once by its cause
	// (the End constants, also the "end" of the close log line): the
	// client left (ClientGone), a write failed (WriteFailed), the client
	// fell behind (CutOffSlow), the server stopped (Shutdown), the token
	// expired (AuthExpired). A stream a panicking OnSubscribe ended counts
	// in HookPanics.

	// The counts below take RPC streams in too (but for one whose
	// handler returned, which ended as it should).

	// ClientGone counts streams whose client left: it closed or reset the
	// connection (seen by a write failing with a broken pipe or a reset,
	// by the heartbeat sweep's peek, or by net/http canceling the
	// request).
	ClientGone uint64
	// WriteFailed counts streams ended because a write timed out (the
	// client took nothing for WriteTimeout, or, when the server stops,
	// for a quarter of ShutdownGrace) or failed for another reason than
	// the client leaving.
	WriteFailed uint64
	// CutOffSlow counts streams ended because the client fell further
	// behind than the history reaches (an event it had not read was
	// evicted); it resumes with sse-reset (evicted) at the gap.
	CutOffSlow uint64
	// Shutdown counts streams the server ended with a retry hint: Stop,
	// DeleteTopic of one of its topics, or a hub that could no longer be
	// fed (the client comes back after its retry delay).
	Shutdown uint64
	// AuthExpired counts streams ended because their token expired (with
	// go-micro auth; the client got the sse-error event).
	AuthExpired uint64
	// HookPanics counts the panics recovered in the user's hooks
	// (Authorize, OnSubscribe, OnUnsubscribe); each ended only the stream
	// concerned.
	HookPanics uint64
	// HTTP2 is how many of the open streams are HTTP/2 (each holds a
	// goroutine, as do the other Open-Shared streams).
	HTTP2 int
	// ResumedExact counts the streams opened with a Last-Event-ID that was
	// placed: they got exactly the events after it.
	ResumedExact uint64
	// Resets counts the streams opened with a Last-Event-ID that could not
	// be placed, by the reason their sse-reset event gave ("other-epoch",
	// "evicted", "unknown-id", "invalid-id").
	Resets map[string]uint64
	// BytesWritten counts the bytes of the streams written to clients
	// after the headers: frames, heartbeats and hints, with the HTTP/1.1
	// chunk framing of the shared writers' streams.
	BytesWritten uint64
	// Latency is the publish-to-write latency of the writes of events.
	Latency LatencyStats
}

// Stats returns what the endpoint counted so far.
func (e *endpoint) Stats() EndpointStats {
	e.refusedMu.Lock()
	refused := maps.Clone(e.refused)
	resets := maps.Clone(e.resets)
	e.refusedMu.Unlock()
	st := EndpointStats{
		Open:         int(e.open.Load()),
		Shared:       int(e.shared.Load()),
		Accepted:     e.accepted.Load(),
		Refused:      refused,
		ClientGone:   e.clientGone.Load(),
		WriteFailed:  e.writeFailed.Load(),
		CutOffSlow:   e.cutOffSlow.Load(),
		Shutdown:     e.shutdownEnded.Load(),
		AuthExpired:  e.authExpired.Load(),
		HookPanics:   e.hookPanics.Load(),
		HTTP2:        int(e.http2.Load()),
		ResumedExact: e.exact.Load(),
		Resets:       resets,
	}
	st.Latency.Bounds = writepath.LatencyBounds[:]
	st.Latency.Counts = make([]uint64, len(writepath.LatencyBounds)+1)
	add := func(c *writepath.Counters) {
		c.AddTo(&st.BytesWritten, st.Latency.Counts, &st.Latency.Count, &st.Latency.Sum)
	}
	add(&e.counters)
	if e.pool != nil {
		e.pool.EachCounters(add)
	}
	return st
}
