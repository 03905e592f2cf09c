package broker

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	mbroker "go-micro.dev/v4/broker"
)

// How a go-micro message is stored in the JetStream stream.
//
// The data of a stored message is go-micro's broker.Message in the JSON
// envelope go-micro's NATS broker plugin writes (its default codec,
// go-micro's json.Marshaler): {"Header":{"k":"v",...},"Body":"<base64>"}.
// So what this broker publishes and what go-micro services publish with
// github.com/go-micro/plugins/v4/broker/nats on a mapped subject are the
// same bytes, and each side's subscribers read the other's messages.
//
// Reading is lenient about who wrote the message: data that is exactly
// such an envelope (a JSON object with the keys "Header" and "Body" and no
// other) is decoded; anything else (a plain `nats pub`) is a body as is,
// with the NATS headers of the message, first value of each, as go-micro
// headers.

// envelope is go-micro's broker.Message as go-micro's JSON codec writes it.
type envelope struct {
	Header map[string]string
	Body   []byte
}

// encodeEnvelope returns the stored form of m.
func encodeEnvelope(m *mbroker.Message) ([]byte, error) {
	b, err := json.Marshal(envelope{Header: m.Header, Body: m.Body})
	if err != nil {
		return nil, fmt.Errorf("sse broker: encode message: %w", err)
	}
	return b, nil
}

// decodeStored returns the go-micro message a stored NATS message holds
// (see above). It never fails: what is not an envelope is a raw body.
func decodeStored(data []byte, h nats.Header) *mbroker.Message {
	if m, ok := decodeEnvelope(data); ok {
		return m
	}
	m := &mbroker.Message{Header: make(map[string]string, len(h)), Body: data}
	for k, v := range h {
		if len(v) > 0 {
			m.Header[k] = v[0]
		}
	}
	return m
}

// decodeEnvelope decodes data when it is exactly a go-micro JSON envelope.
func decodeEnvelope(data []byte) (*mbroker.Message, bool) {
	d := bytes.TrimSpace(data)
	if len(d) < 2 || d[0] != '{' {
		return nil, false
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(d, &fields); err != nil || len(fields) != 2 {
		return nil, false
	}
	rh, okH := fields["Header"]
	rb, okB := fields["Body"]
	if !okH || !okB {
		return nil, false
	}
	m := &mbroker.Message{}
	if err := json.Unmarshal(rh, &m.Header); err != nil {
		return nil, false
	}
	if err := json.Unmarshal(rb, &m.Body); err != nil {
		return nil, false
	}
	if m.Header == nil {
		m.Header = map[string]string{}
	}
	return m, true
}
