package transport

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"unicode/utf8"

	"go-micro.dev/v4/transport"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// Event types of the wire format (see the package documentation).
const (
	eventText   = "t"     // a message whose body is UTF-8 text
	eventBinary = "b"     // a message whose body is base64
	eventOpen   = "open"  // first event of a stream: "<session id> <heartbeat ms>"
	eventClose  = "close" // the server ends the stream on purpose
	eventError  = "error" // the server ends the stream on a failure: "<code> <message>"
)

// messageSize is what MaxMessageSize bounds: the body plus every header key
// and value.
func messageSize(m *transport.Message) int {
	n := len(m.Body)
	for k, v := range m.Header {
		n += len(k) + len(v)
	}
	return n
}

// encodedLimit bounds the data of one event carrying a message of at most
// max bytes: headers escape to at most five bytes per byte plus two, base64
// grows the body by a third.
func encodedLimit(max int) int { return 5*max + 64 }

// isText reports whether body can travel as text: valid UTF-8 (the event
// stream is UTF-8), no CR (the decoder turns CR and CRLF into LF) and few
// enough LFs that the "data: " prefix of each line does not outgrow base64.
func isText(body []byte) bool {
	return bytes.IndexByte(body, '\r') < 0 &&
		bytes.Count(body, []byte{'\n'}) <= len(body)/16+1 &&
		utf8.Valid(body)
}

// appendMessage appends m to dst as one event frame, using scratch to build
// the event's data, and returns both buffers for reuse.
//
// The event type is "t" or "b"; the data is the escaped header line, LF,
// then the body as text ("t") or standard base64 ("b").
func appendMessage(dst, scratch []byte, m *transport.Message) ([]byte, []byte, error) {
	data := appendHeader(scratch[:0], m.Header)
	data = append(data, '\n')
	ev := codec.Event{Event: eventBinary}
	if isText(m.Body) {
		ev.Event = eventText
		data = append(data, m.Body...)
	} else {
		data = base64.StdEncoding.AppendEncode(data, m.Body)
	}
	ev.Data = data
	out, err := ev.AppendTo(dst)
	if err != nil {
		return dst, data, fmt.Errorf("sse transport: encode message: %w", err)
	}
	return out, data, nil
}

// parseMessage turns a "t" or "b" event back into the message it carries.
// A message larger than max gives an error wrapping ErrMessageTooLarge.
func parseMessage(ev *codec.Event, max int) (*transport.Message, error) {
	i := bytes.IndexByte(ev.Data, '\n')
	if i < 0 {
		return nil, fmt.Errorf("%w: no header line", errMalformed)
	}
	hdr, err := parseHeader(ev.Data[:i])
	if err != nil {
		return nil, err
	}
	body := ev.Data[i+1:]
	switch ev.Event {
	case eventText:
	case eventBinary:
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
		n, err := base64.StdEncoding.Decode(dec, body)
		if err != nil {
			return nil, fmt.Errorf("%w: body: %v", errMalformed, err)
		}
		body = dec[:n]
	default:
		return nil, fmt.Errorf("%w: event type %q", errMalformed, ev.Event)
	}
	if len(body) == 0 {
		body = nil
	}
	m := &transport.Message{Header: hdr, Body: body}
	if n := messageSize(m); n > max {
		return nil, fmt.Errorf("%w: received %d bytes, limit %d", ErrMessageTooLarge, n, max)
	}
	return m, nil
}

// deliver copies a received message into the caller's m the way go-micro's
// transports do: headers are merged into m.Header (made when nil), the
// body replaces m.Body.
func deliver(m, got *transport.Message) {
	if m.Header == nil {
		m.Header = got.Header
	} else {
		for k, v := range got.Header {
			m.Header[k] = v
		}
	}
	m.Body = got.Body
}
