// Package codec is the text/event-stream wire format of the HTML standard
// ("Server-sent events", "Interpreting an event stream"): an Event type, an
// encoder that can only produce well-formed frames, a decoder that returns
// events exactly as a browser's EventSource dispatches them, a go-micro
// codec for the text/event-stream content type, and the mapping between a
// go-micro broker.Message and an Event.
//
// The package knows nothing of HTTP, topics or fan-out.
package codec

import "time"

// ContentType is the MIME type of an event stream.
const ContentType = "text/event-stream"

// Event is one server-sent event.
//
// On the wire an Event is one frame: an optional comment, then the id, event
// and retry fields when set, then Data as one "data:" line per line of Data,
// then a blank line. A zero field is not written.
type Event struct {
	// ID sets the browser's last event id. It must be UTF-8 without CR, LF
	// or NUL.
	ID string
	// Event is the event type; empty means the browser's default, "message".
	// It must be UTF-8 without CR or LF.
	Event string
	// Data is the payload. It is split into lines on LF, CRLF and CR; the
	// browser joins them with LF. Empty Data writes no data line, so the
	// browser updates its state (id, retry) but dispatches nothing.
	Data []byte
	// Retry, when positive, sets the browser's reconnection delay. It is
	// written in whole milliseconds, rounded up.
	Retry time.Duration
	// Comment is written as comment lines (": ..."), which browsers ignore;
	// used for heartbeats. It may span several lines.
	Comment string
}
