package ssetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// StatusError is returned by Open when the endpoint answers with a status
// other than 200 OK; Body holds the first KiB of the response.
type StatusError struct {
	Code   int
	Header http.Header
	Body   string
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("ssetest: events endpoint answered %d: %s", e.Code, strings.TrimSpace(e.Body))
}

// EventsURL is base (e.g. "http://127.0.0.1:1234/events") with one "stream"
// query parameter per topic.
func EventsURL(base string, topics ...string) string {
	q := url.Values{}
	for _, t := range topics {
		q.Add("stream", t)
	}
	if len(topics) == 0 {
		return base
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

// Stream is one open events response whose body a goroutine decodes with
// codec.NewDecoder into Events. Events is closed when the stream ends; Err
// then tells why (io.EOF for a clean end). Close ends it early.
type Stream struct {
	// Response is the 200 response; its body belongs to the Stream.
	Response *http.Response
	// Events delivers each decoded event in order.
	Events <-chan *codec.Event

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	tr     *http.Transport

	mu    sync.Mutex
	err   error
	retry time.Duration
}

// Open sends GET rawURL with "Accept: text/event-stream" and, when
// lastEventID is not empty, the Last-Event-ID header. A nil client means a
// client of its own with keep-alives off, so nothing is left open after
// Close. A status other than 200 is returned as *StatusError. TLS and
// HTTP/2 come with the client given.
func Open(ctx context.Context, client *http.Client, rawURL, lastEventID string) (*Stream, error) {
	ctx, cancel := context.WithCancel(ctx)
	var tr *http.Transport
	if client == nil {
		tr = &http.Transport{DisableKeepAlives: true}
		client = &http.Client{Transport: tr}
	}
	fail := func(err error) (*Stream, error) {
		cancel()
		if tr != nil {
			tr.CloseIdleConnections()
		}
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fail(fmt.Errorf("ssetest: request: %w", err))
	}
	req.Header.Set("Accept", codec.ContentType)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail(fmt.Errorf("ssetest: GET %s: %w", rawURL, err))
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body.Close()
		return fail(&StatusError{Code: resp.StatusCode, Header: resp.Header, Body: string(b)})
	}
	events := make(chan *codec.Event, 1024)
	s := &Stream{Response: resp, Events: events, ctx: ctx, cancel: cancel, done: make(chan struct{}), tr: tr}
	go s.read(events)
	return s, nil
}

func (s *Stream) read(events chan<- *codec.Event) {
	defer close(s.done)
	defer close(events)
	dec := codec.NewDecoder(s.Response.Body)
	for {
		ev, err := dec.Decode()
		s.mu.Lock()
		s.retry = dec.Retry()
		if err != nil {
			s.err = err
		}
		s.mu.Unlock()
		if err != nil {
			return
		}
		select {
		case events <- ev:
		case <-s.ctx.Done():
			return
		}
	}
}

// OpenT is Open with a background context and a client of its own; it fails
// the test on error and closes the stream when the test ends.
func OpenT(t testing.TB, rawURL, lastEventID string) *Stream {
	t.Helper()
	s, err := Open(context.Background(), nil, rawURL, lastEventID)
	if err != nil {
		t.Fatalf("ssetest: open %s: %v", rawURL, err)
	}
	t.Cleanup(s.Close)
	return s
}

// Next returns the next event and fails the test if the stream ends or
// Timeout passes first.
func (s *Stream) Next(t testing.TB) *codec.Event {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case ev, ok := <-s.Events:
		if !ok {
			t.Fatalf("ssetest: stream ended while waiting for an event: %v", s.Err())
		}
		return ev
	case <-timer.C:
		t.Fatalf("ssetest: no event within %v", Timeout)
	}
	panic("unreachable")
}

// WaitEnd waits (at most Timeout) until the server ends the stream and
// returns why (io.EOF for a clean end). Events still queued are dropped.
func (s *Stream) WaitEnd(t testing.TB) error {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-s.Events:
			if !ok {
				return s.Err()
			}
		case <-timer.C:
			t.Fatalf("ssetest: stream did not end within %v", Timeout)
		}
	}
}

// Err is why the stream ended (io.EOF for a clean end), or nil while it is
// open.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Retry is the last retry the server sent (0 if none yet).
func (s *Stream) Retry() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.retry
}

// Close ends the request, closes the body and waits for the decoding
// goroutine. It may be called many times.
func (s *Stream) Close() {
	s.cancel()
	s.Response.Body.Close()
	<-s.done
	if s.tr != nil {
		s.tr.CloseIdleConnections()
	}
}

// IsEnd reports whether err is a clean or cancelled end of a stream.
func IsEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) || errors.Is(err, io.ErrUnexpectedEOF)
}
