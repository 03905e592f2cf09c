package codec

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"sync"

	"go-micro.dev/v4/broker"
	microcodec "go-micro.dev/v4/codec"
)

// Codec is a go-micro codec.Codec for the text/event-stream content type:
// each go-micro message is one event on the connection.
//
// Write maps a message to an event: the body gives the data (a []byte,
// string, pointers to them, nil for none) or the whole event (an Event,
// *Event or *broker.Message, see FromMessage); fields the body leaves empty
// come from the message: Id is the id, the Sse-Event header or else Endpoint
// is the event type, the Sse-Retry header is the retry. Method, Target,
// Error and other headers are not carried: an event stream has no place for
// them. An event the encoder refuses (see Event) is an error and nothing is
// written.
//
// ReadHeader reads the next event a browser would dispatch (see Decoder) and
// fills the message: Id from the event's id, Endpoint and the Sse-Event
// header from its type, the Sse-Id and Sse-Retry headers when set, and
// Content-Type text/event-stream. ReadBody then stores the data into a
// *[]byte or *string, the event into an *Event, or a *broker.Message (see
// ToMessage); nil discards it.
//
// Reads use a Decoder with the default bounds (ErrLineTooLong and
// ErrEventTooLarge past them). Writes are serialised by a mutex; reads must
// come from one goroutine.
// Close closes the connection once.
type Codec struct {
	rwc  io.ReadWriteCloser
	enc  DataEncoding
	mu   sync.Mutex // guards encoder
	w    *Encoder
	dec  *Decoder
	cur  *Event
	once sync.Once
	cerr error
}

// NewCodec returns a Codec over rwc that writes and reads data as UTF-8
// text; data that is not UTF-8 is refused with ErrInvalidUTF8. It has the
// signature of go-micro's codec.NewCodec.
func NewCodec(rwc io.ReadWriteCloser) microcodec.Codec { return newCodec(rwc, DataText) }

// NewBase64Codec returns a Codec over rwc that writes data base64-wrapped
// (DataBase64) and decodes it on read, for binary bodies such as protobuf.
// Its decoder allows lines as long as DefaultMaxEventBytes, so a body of up
// to 3 MiB fits.
func NewBase64Codec(rwc io.ReadWriteCloser) microcodec.Codec { return newCodec(rwc, DataBase64) }

func newCodec(rwc io.ReadWriteCloser, enc DataEncoding) *Codec {
	// Base64 data is one line: let a line be as long as an event.
	dec := NewDecoder(rwc, MaxLineBytes(DefaultMaxEventBytes), MaxEventBytes(DefaultMaxEventBytes))
	if enc == DataText {
		dec = NewDecoder(rwc)
	}
	return &Codec{rwc: rwc, enc: enc, w: NewEncoder(rwc, WithDataEncoding(enc)), dec: dec}
}

// Write writes m with body b as one event, with one Write on the connection.
func (c *Codec) Write(m *microcodec.Message, b interface{}) error {
	ev, err := eventOf(b)
	if err != nil {
		return err
	}
	if ev.ID == "" {
		ev.ID = m.Id
	}
	if ev.Event == "" {
		ev.Event = m.Header[HeaderEvent]
	}
	if ev.Event == "" {
		ev.Event = m.Endpoint
	}
	if r, ok := m.Header[HeaderRetry]; ok && ev.Retry == 0 {
		if ev.Retry, err = parseRetryHeader(r); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.w.Encode(&ev); err != nil {
		return fmt.Errorf("sse codec: write: %w", err)
	}
	return nil
}

// ReadHeader reads the next event and fills m from it; the event's data
// waits for ReadBody. At the end of the stream it returns io.EOF.
func (c *Codec) ReadHeader(m *microcodec.Message, mt microcodec.MessageType) error {
	c.cur = nil
	ev, err := c.dec.Decode()
	if err != nil {
		return err
	}
	if c.enc == DataBase64 {
		raw, err := base64.StdEncoding.AppendDecode(nil, ev.Data)
		if err != nil {
			return fmt.Errorf("sse codec: base64 data: %w", err)
		}
		ev.Data = raw
	}
	c.cur = ev
	m.Type = mt
	m.Id = ev.ID
	m.Endpoint = ev.Event
	if m.Header == nil {
		m.Header = make(map[string]string, 4)
	}
	m.Header[HeaderContentType] = ContentType
	if ev.Event != "" {
		m.Header[HeaderEvent] = ev.Event
	}
	if ev.ID != "" {
		m.Header[HeaderID] = ev.ID
	}
	if ev.Retry > 0 {
		m.Header[HeaderRetry] = strconv.FormatInt(retryMillis(ev.Retry), 10)
	}
	return nil
}

// ReadBody stores the data of the event ReadHeader read into b.
func (c *Codec) ReadBody(b interface{}) error {
	if c.cur == nil {
		return ErrNoHeader
	}
	ev := c.cur
	c.cur = nil
	return storeEvent(ev, b)
}

// Close closes the connection; later calls return the first result.
func (c *Codec) Close() error {
	c.once.Do(func() { c.cerr = c.rwc.Close() })
	return c.cerr
}

// String is the content type, "text/event-stream".
func (c *Codec) String() string { return ContentType }

// eventOf makes the event a body stands for.
func eventOf(b interface{}) (Event, error) {
	switch v := b.(type) {
	case nil:
		return Event{}, nil
	case Event:
		return v, nil
	case *Event:
		if v == nil {
			return Event{}, nil
		}
		return *v, nil
	case []byte:
		return Event{Data: v}, nil
	case *[]byte:
		return Event{Data: *v}, nil
	case string:
		return Event{Data: []byte(v)}, nil
	case *string:
		return Event{Data: []byte(*v)}, nil
	case *broker.Message:
		ev, err := FromMessage(v)
		if err != nil {
			return Event{}, err
		}
		return *ev, nil
	}
	return Event{}, fmt.Errorf("sse codec: cannot encode %T: %w", b, microcodec.ErrInvalidMessage)
}

// storeEvent puts ev into b.
func storeEvent(ev *Event, b interface{}) error {
	switch v := b.(type) {
	case nil:
	case *Event:
		*v = *ev
	case *[]byte:
		*v = ev.Data
	case *string:
		*v = string(ev.Data)
	case *broker.Message:
		*v = *ToMessage(ev)
	default:
		return fmt.Errorf("sse codec: cannot decode into %T: %w", b, microcodec.ErrInvalidMessage)
	}
	return nil
}
