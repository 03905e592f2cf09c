package codec

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go-micro.dev/v4/broker"
)

// Headers of a go-micro broker.Message that set the fields of the Event it
// becomes (see FromMessage).
const (
	// HeaderEvent sets Event.Event, the event type.
	HeaderEvent = "Sse-Event"
	// HeaderID sets Event.ID (the hub uses it only when told to keep
	// publisher ids).
	HeaderID = "Sse-Id"
	// HeaderRetry sets Event.Retry, in whole milliseconds (ASCII digits).
	HeaderRetry = "Sse-Retry"
	// HeaderContentType is go-micro's content type header; a JSON body has
	// its trailing newline trimmed.
	HeaderContentType = "Content-Type"
)

// FromMessage maps a go-micro broker message to the Event a browser
// receives: the body is the data (for a JSON content type, the trailing
// newline go-micro's JSON codec writes is trimmed); the Sse-Event, Sse-Id
// and Sse-Retry headers set those fields. A header that would inject a field
// (CR, LF, NUL) or a retry that is not a count of milliseconds is refused
// with an error wrapping ErrInvalidEvent, ErrInvalidID or ErrInvalidRetry.
// Data is not copied.
func FromMessage(m *broker.Message) (*Event, error) {
	ev := &Event{Data: m.Body}
	if strings.Contains(m.Header[HeaderContentType], "json") {
		ev.Data = bytes.TrimSuffix(ev.Data, []byte("\n"))
	}
	ev.Event = m.Header[HeaderEvent]
	ev.ID = m.Header[HeaderID]
	if r, ok := m.Header[HeaderRetry]; ok {
		var err error
		if ev.Retry, err = parseRetryHeader(r); err != nil {
			return nil, err
		}
	}
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("sse codec: message headers: %w", err)
	}
	return ev, nil
}

// parseRetryHeader reads the Sse-Retry header: a count of milliseconds in
// ASCII digits; empty means none.
func parseRetryHeader(r string) (time.Duration, error) {
	if r == "" {
		return 0, nil
	}
	ms, err := strconv.ParseUint(r, 10, 63)
	if err != nil || ms > uint64(1<<63-1)/uint64(time.Millisecond) {
		return 0, fmt.Errorf("%w: header %s=%q", ErrInvalidRetry, HeaderRetry, r)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// ToMessage maps an Event to a go-micro broker message, the inverse of
// FromMessage: Data is the body and the set fields become headers.
// Comment is not carried.
func ToMessage(ev *Event) *broker.Message {
	m := &broker.Message{Header: map[string]string{HeaderContentType: ContentType}, Body: ev.Data}
	if ev.Event != "" {
		m.Header[HeaderEvent] = ev.Event
	}
	if ev.ID != "" {
		m.Header[HeaderID] = ev.ID
	}
	if ev.Retry > 0 {
		m.Header[HeaderRetry] = strconv.FormatInt(int64((ev.Retry+time.Millisecond-1)/time.Millisecond), 10)
	}
	return m
}
