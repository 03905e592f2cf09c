package server

import (
	"context"
	"fmt"
	"net/http"

	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// SnapshotParam is the query parameter with which a first connect (no
// Last-Event-ID) asks for the Snapshot of its topics before the live
// events: /events?stream=a&snapshot=1 (any value but "" and "0").
const SnapshotParam = "snapshot"

// SnapshotFunc returns the events that make a page's state of topic whole
// again: the current state, as events of the page's own types. It is
// called with the request's context (bounded by WriteTimeout) and holds no
// lock of the server: it may query a database.
type SnapshotFunc func(ctx context.Context, topic string) ([]codec.Event, error)

type snapshotKey struct{}

// Snapshot sets the function the server calls, for each topic of a stream
// in order, when the stream's resume is not exact (its sse-reset event
// then follows) and, on a first connect, when the request asks for it
// (SnapshotParam). Its events follow the reset, or come first on a first
// connect, so that a page is made whole without a reload.
//
// How the snapshot and the log meet: the stream's place in the log is
// fixed before the function is called, so the events that follow the
// snapshot are every event after that place, and some of them may already
// be reflected in the snapshot: applying an event twice must do no harm
// (events that carry whole values, or keyed by an id). The snapshot's
// events carry no id of their own (an id given is dropped) except the
// last, which carries the id of the place: the reset's id, or on a first
// connect the id of the stream's position; a client that reconnects after
// the snapshot resumes from there exactly, with no second snapshot.
//
// The function is user code: a panic is recovered and logged (and counted
// in EndpointStats.HookPanics), an error logged, and either way the stream
// goes on without a snapshot, as it does when the encoder refuses one of
// its events (a type with a newline, say).
func Snapshot(fn SnapshotFunc) server.Option { return setOption(snapshotKey{}, fn) }

// snapshot calls the Snapshot function for the stream s, when it applies,
// and puts its events into the stream before it is first read.
func (e *endpoint) snapshot(r *http.Request, s *stream) {
	fn := e.cfg.Snapshot
	if fn == nil {
		return
	}
	switch s.Sub.Resume().Outcome {
	case hub.ResumeLost:
	case hub.ResumeNone:
		if v := r.URL.Query().Get(SnapshotParam); v == "" || v == "0" {
			return
		}
	default:
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), e.cfg.WriteTimeout)
	defer cancel()
	var evs []codec.Event
	for _, t := range s.topics {
		var got []codec.Event
		var err error
		if !e.callHook("Snapshot", []string{t}, func() { got, err = fn(ctx, t) }) {
			return
		}
		if err != nil {
			e.logSnapshot(t, err)
			return
		}
		evs = append(evs, got...)
	}
	if err := s.Sub.Follow(evs); err != nil {
		e.logSnapshot(fmt.Sprint(s.topics), err)
	}
}

// logSnapshot logs why a stream goes on without its snapshot.
func (e *endpoint) logSnapshot(topic string, err error) {
	logAt(e.cfg.Logger, logger.WarnLevel, "sse server: no snapshot of %q: %v", topic, err)
}
