package server

import (
	"encoding/json"
	"errors"
	"io"

	mcodec "go-micro.dev/v4/codec"
	raw "go-micro.dev/v4/codec/bytes"
)

// eventDataCodec reads, for a go-micro subscriber of the server, the body
// of a message of Content-Type text/event-stream: what Publish sends, an
// event's data. A handler taking *[]byte, *string or *bytes.Frame gets it
// as it is, any other type decoded as JSON. It writes nothing.
type eventDataCodec struct{ rwc io.ReadWriteCloser }

func newEventDataCodec(rwc io.ReadWriteCloser) mcodec.Codec { return &eventDataCodec{rwc: rwc} }

// errEventDataWrite is what eventDataCodec's Write returns.
var errEventDataWrite = errors.New("sse server: the event data codec only reads")

func (c *eventDataCodec) ReadHeader(*mcodec.Message, mcodec.MessageType) error { return nil }

func (c *eventDataCodec) ReadBody(v interface{}) error {
	data, err := io.ReadAll(c.rwc) // a copy: the handler may keep it
	if err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
	case *[]byte:
		*v = data
	case *string:
		*v = string(data)
	case *raw.Frame:
		v.Data = data
	default:
		return json.Unmarshal(data, v)
	}
	return nil
}

func (c *eventDataCodec) Write(*mcodec.Message, interface{}) error { return errEventDataWrite }

func (c *eventDataCodec) Close() error { return c.rwc.Close() }

func (c *eventDataCodec) String() string { return "sse-event-data" }
