package codec

import (
	"bytes"
	"encoding/base64"
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
	// HeaderEncoding says how browsers get the body: EncodingBase64 for
	// binary bodies such as protobuf, EncodingText (or no header) for
	// UTF-8 text. See FromMessageFor.
	HeaderEncoding = "Sse-Encoding"
)

// Values of HeaderEncoding.
const (
	// EncodingText: the body is UTF-8 text and is the event's data as is
	// (the default).
	EncodingText = "text"
	// EncodingBase64: browsers get the body as one line of standard base64
	// (decode it with atob), whatever its bytes.
	EncodingBase64 = "base64"
)

// FromMessage maps a go-micro broker message to the Event a browser
// receives: the body is the data (for a JSON content type, the trailing
// newline go-micro's JSON codec writes is trimmed); the Sse-Event, Sse-Id
// and Sse-Retry headers set those fields. A header that would inject a field
// (CR, LF, NUL) or a retry that is not a count of milliseconds is refused
// with an error wrapping ErrInvalidEvent, ErrInvalidID or ErrInvalidRetry.
// Data is not copied, nor checked: FromMessageFor applies Sse-Encoding and
// decides what a stream does with a body that is not UTF-8.
func FromMessage(m *broker.Message) (*Event, error) {
	ev := &Event{Data: m.Body}
	if strings.Contains(m.Header[HeaderContentType], "json") {
		ev.Data = bytes.TrimSuffix(ev.Data, []byte("\n"))
	}
	ev.Event = m.Header[HeaderEvent]
	if strings.IndexByte(ev.Event, 0) >= 0 { // the encoder lets NUL through (the HTML standard does)
		return nil, fmt.Errorf("sse codec: message headers: %w: NUL in %s", ErrInvalidEvent, HeaderEvent)
	}
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

// FromMessageFor is FromMessage for a stream that writes data with enc,
// and decides how a body that may be binary reaches browsers:
//
//   - enc is DataBase64 (the server's Base64Data option): the event as is;
//     the stream base64-encodes every event's data, so nothing is encoded
//     twice whatever HeaderEncoding says.
//   - the message has HeaderEncoding: base64: the data is replaced by its
//     standard base64 form (one line of ASCII), text bodies included, so a
//     page decodes every event of such a topic the same way.
//   - otherwise a body that is not valid UTF-8 is refused with an error
//     wrapping ErrInvalidUTF8: a browser would mangle it. Callers that
//     still deliver the message elsewhere (in-process subscribers) tell
//     this error from the others with errors.Is and skip only the browsers.
//
// A HeaderEncoding other than EncodingText or EncodingBase64 is refused with
// an error wrapping ErrInvalidEncoding; header errors are FromMessage's.
func FromMessageFor(m *broker.Message, enc DataEncoding) (*Event, error) {
	ev, err := FromMessage(m)
	if err != nil {
		return nil, err
	}
	asked := m.Header[HeaderEncoding]
	switch {
	case asked != "" && asked != EncodingText && asked != EncodingBase64:
		return nil, fmt.Errorf("%w: header %s=%q", ErrInvalidEncoding, HeaderEncoding, asked)
	case enc == DataBase64:
		return ev, nil
	case asked == EncodingBase64:
		ev.Data = base64.StdEncoding.AppendEncode(nil, ev.Data)
		return ev, nil
	case !validUTF8(ev.Data):
		return nil, fmt.Errorf("%w (%d bytes): publish with header %s: %s, or give the server Base64Data",
			ErrInvalidUTF8, len(ev.Data), HeaderEncoding, EncodingBase64)
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
