package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// Marshaler is a go-micro codec.Marshaler for text/event-stream: one value
// is one frame. The zero value writes data as UTF-8 text; set Encoding to
// DataBase64 to carry binary data (and decode it in Unmarshal).
//
// Marshal takes an Event or *Event (the whole frame), a []byte, string or a
// pointer to one (a frame with only data), or a *broker.Message (see
// FromMessage). Unmarshal reads the first frame of its input, which must end
// in a blank line, into an *Event, a *[]byte or *string (the data) or a
// *broker.Message (see ToMessage); input after the first frame is ignored.
// It reads fields as a browser does (see Decoder) but, so that Unmarshal
// inverts Marshal, it also returns a frame without data (an Event with empty
// Data) and keeps comments in Event.Comment (lines joined by LF).
type Marshaler struct {
	// Encoding is how Data is written: DataText (the default) or DataBase64.
	Encoding DataEncoding
}

// ErrNoEvent means Unmarshal found no frame ended by a blank line.
var ErrNoEvent = errors.New("sse codec: no complete event")

// Marshal encodes v as one frame.
func (m Marshaler) Marshal(v interface{}) ([]byte, error) {
	ev, err := eventOf(v)
	if err != nil {
		return nil, err
	}
	b, err := ev.AppendWith(nil, m.Encoding)
	if err != nil {
		return nil, fmt.Errorf("sse codec: marshal: %w", err)
	}
	return b, nil
}

// Unmarshal decodes the first frame of b into v.
func (m Marshaler) Unmarshal(b []byte, v interface{}) error {
	d := NewDecoder(bytes.NewReader(b), MaxLineBytes(len(b)+1), MaxEventBytes(3*len(b)+1))
	d.whole = true
	ev, err := d.Decode()
	if err == io.EOF {
		return ErrNoEvent
	}
	if err != nil {
		return fmt.Errorf("sse codec: unmarshal: %w", err)
	}
	if m.Encoding == DataBase64 {
		if ev.Data, err = base64.StdEncoding.AppendDecode(nil, ev.Data); err != nil {
			return fmt.Errorf("sse codec: unmarshal: base64 data: %w", err)
		}
	}
	return storeEvent(ev, v)
}

// String is the content type, "text/event-stream".
func (m Marshaler) String() string { return ContentType }
