package broker

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	mbroker "go-micro.dev/v4/broker"
	gmjson "go-micro.dev/v4/codec/json"
)

func TestStoredMessageIsGoMicrosNATSEnvelope(t *testing.T) {
	m := &mbroker.Message{Header: map[string]string{"Sse-Event": "tick", "Content-Type": "application/json"}, Body: []byte("{\"n\":1}\n")}
	data, err := encodeEnvelope(m)
	require.NoError(t, err)
	// What go-micro's NATS broker plugin decodes with its default codec.
	var viaGoMicro mbroker.Message
	require.NoError(t, gmjson.Marshaler{}.Unmarshal(data, &viaGoMicro))
	assert.Equal(t, *m, viaGoMicro)
	// And what it encodes, we decode.
	fromGoMicro, err := gmjson.Marshaler{}.Marshal(m)
	require.NoError(t, err)
	assert.Equal(t, m, decodeStored(fromGoMicro, nil))
}

func TestStoredMessageNotAnEnvelopeIsARawBody(t *testing.T) {
	for _, data := range []string{
		`{"n":1}`,
		`{"Header":{},"Body":"AA==","More":1}`,
		`{"Header":{}}`,
		`{"Header":1,"Body":"AA=="}`,
		`{"Header":{},"Body":"not base64!"}`,
		`plain text`,
		``,
	} {
		m := decodeStored([]byte(data), nats.Header{"Sse-Event": {"raw", "second"}})
		assert.Equal(t, data, string(m.Body), "%q", data)
		assert.Equal(t, map[string]string{"Sse-Event": "raw"}, m.Header, "%q", data)
	}
}

// FuzzDecodeStored checks that any stored data decodes without panic, and
// that an envelope we write comes back as the message it holds.
func FuzzDecodeStored(f *testing.F) {
	f.Add([]byte(`{"Header":{"Sse-Event":"x"},"Body":"aGk="}`), "k", "v")
	f.Add([]byte(`{"Header":null,"Body":null}`), "", "")
	f.Add([]byte(`not json`), "Sse-Id", "1")
	f.Fuzz(func(t *testing.T, data []byte, k, v string) {
		_ = decodeStored(data, nats.Header{k: {v}})
		m := &mbroker.Message{Header: map[string]string{k: v}, Body: data}
		enc, err := encodeEnvelope(m)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeStored(enc, nil)
		// What encoding/json gives back (invalid UTF-8 in a header
		// becomes U+FFFD): the same as go-micro's NATS plugin reads.
		var want envelope
		if err := json.Unmarshal(enc, &want); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got.Header, want.Header) || !bytes.Equal(got.Body, want.Body) || !bytes.Equal(got.Body, data) {
			t.Fatalf("round trip: %q %q, want %q %q", got.Header, got.Body, want.Header, data)
		}
	})
}
