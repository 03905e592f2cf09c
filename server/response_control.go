package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"time"

	"go-micro.dev/v4/logger"
)

// Middleware between net/http and a mounted endpoint wraps the
// http.ResponseWriter. A stream needs two things of it: flushes (each
// write must reach the client now) and write deadlines (a stalled client
// is cut after WriteTimeout, and at Stop after a quarter of the grace).
// http.ResponseController finds them through the wrapper's own methods
// (Flush, SetWriteDeadline) or its Unwrap. Most logging and metrics
// middleware embeds the ResponseWriter and adds Flush but no Unwrap: then
// the ResponseWriter held in an exported field of the wrapper (embedded,
// most often) is the way to them, as Unwrap would have returned it; the
// writes still go through the wrapper. Behind a wrapper that hides them,
// an HTTP/1 stream sets its deadlines on the connection ConnContext put in
// the request's context. A wrapper that can neither flush nor be looked
// into is refused with 501 (ReasonNoFlush): its events would sit in a
// buffer. One that flushes but hides its deadlines otherwise serves, and
// what is lost is logged once for its type.

// writeControl is how a stream written through its ResponseWriter flushes
// and sets write deadlines.
type writeControl struct {
	// rc is the ResponseWriter's own controller: Hijack.
	rc *http.ResponseController
	// flush flushes a write: rc, or the controller of the ResponseWriter
	// a wrapper without Unwrap holds.
	flush *http.ResponseController
	// deadline sets write deadlines, found as flush is, or on an
	// HTTP/1 connection ConnContext recorded; rc (which answers
	// http.ErrNotSupported) when nothing can set them.
	deadline writeDeadliner
}

// writeDeadliner sets the deadline of the writes of a stream.
type writeDeadliner interface {
	SetWriteDeadline(time.Time) error
}

// connKey is the context key of the connection ConnContext records.
type connKey struct{}

// ConnContext records c in ctx; set it as the ConnContext of an
// http.Server of your own that serves EventsHandler or RPCHandler behind
// middleware whose ResponseWriter hides the one underneath (no Unwrap, no
// exported field): an HTTP/1 stream then sets its write deadlines on the
// connection itself, so that a client that stops reading is still cut
// off. The server's own listener does it already.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// errNoFlush means a ResponseWriter can neither flush nor be unwrapped.
var errNoFlush = errors.New("sse server: the ResponseWriter cannot flush")

// controlOf returns how a stream writes through w, or errNoFlush when w
// cannot flush. A wrapper that cannot flush, or cannot set deadlines, is
// logged once for its type.
func (e *endpoint) controlOf(w http.ResponseWriter, r *http.Request) (*writeControl, error) {
	rc := http.NewResponseController(w)
	c := &writeControl{rc: rc, flush: rc, deadline: rc}
	// The ResponseWriter a wrapper without Unwrap holds, looked for only
	// when w falls short (net/http's own never does).
	var held http.ResponseWriter
	looked := false
	heldOf := func() http.ResponseWriter {
		if !looked {
			held, looked = heldWriter(w), true
		}
		return held
	}
	if !canFlush(w) {
		c.flush = nil
		if held := heldOf(); held != nil && canFlush(held) {
			c.flush = http.NewResponseController(held)
		}
	}
	if c.flush == nil {
		e.warnWrapper(w, "it can neither flush nor be unwrapped: its streams are refused with 501 (no_flush); give it Flush() or Unwrap() http.ResponseWriter")
		return nil, errNoFlush
	}
	// A zero deadline is none: this only asks whether it can be set.
	if errors.Is(rc.SetWriteDeadline(time.Time{}), http.ErrNotSupported) {
		found := false
		if held := heldOf(); held != nil {
			if hc := http.NewResponseController(held); !errors.Is(hc.SetWriteDeadline(time.Time{}), http.ErrNotSupported) {
				c.deadline, found = hc, true
			}
		}
		if conn, ok := r.Context().Value(connKey{}).(net.Conn); !found && ok && r.ProtoMajor == 1 {
			// HTTP/1: the connection is the stream's alone.
			c.deadline, found = conn, true
		}
		if !found {
			e.warnWrapper(w, "its write deadlines cannot be set: a client that stops reading is not cut off (WriteTimeout, and at Stop a quarter of ShutdownGrace) and may hold Stop for the whole grace; give it Unwrap() http.ResponseWriter, or set ConnContext on the http.Server")
		}
	}
	return c, nil
}

// warnWrapper logs, once per type of ResponseWriter, what a wrapper costs.
// The events and RPC endpoints of a server share what was logged.
func (e *endpoint) warnWrapper(w http.ResponseWriter, what string) {
	t := reflect.TypeOf(w)
	if _, seen := e.warnedWrappers.LoadOrStore(t, true); seen {
		return
	}
	e.log().Logf(logger.WarnLevel, "sse server: endpoint mounted behind the ResponseWriter wrapper %v: %s", t, what)
}

// canFlush reports whether http.ResponseController flushes w: w, or a
// ResponseWriter its Unwrap chain returns, has Flush or FlushError.
func canFlush(w http.ResponseWriter) bool {
	for range maxUnwrap {
		switch u := w.(type) {
		case http.Flusher, interface{ FlushError() error }:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = u.Unwrap()
		default:
			return false
		}
	}
	return false
}

// maxUnwrap bounds the wrappers looked through.
const maxUnwrap = 16

// heldWriter returns the ResponseWriter that w, a wrapper without
// Unwrap, holds in an exported field (an embedded one first), or nil.
func heldWriter(w http.ResponseWriter) http.ResponseWriter {
	if _, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		return nil // http.ResponseController follows it
	}
	v := reflect.ValueOf(w)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	rw := reflect.TypeFor[http.ResponseWriter]()
	var named http.ResponseWriter
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() || !f.Type.Implements(rw) {
			continue
		}
		fv := v.Field(i)
		if (fv.Kind() == reflect.Interface || fv.Kind() == reflect.Pointer) && fv.IsNil() {
			continue
		}
		held, ok := fv.Interface().(http.ResponseWriter)
		if !ok {
			continue
		}
		if f.Anonymous {
			return held
		}
		if named == nil {
			named = held
		}
	}
	return named
}
