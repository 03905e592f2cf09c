package transport

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4/transport"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// roundTrip encodes m as a frame, decodes it as the peer does and returns
// the message.
func roundTrip(t testing.TB, m *transport.Message, max int) (*transport.Message, string, error) {
	frame, _, err := appendMessage(nil, nil, m)
	if err != nil {
		return nil, "", err
	}
	limit := encodedLimit(max)
	dec := codec.NewDecoder(bytes.NewReader(frame), codec.MaxLineBytes(limit), codec.MaxEventBytes(limit))
	ev, err := dec.Decode()
	if err != nil {
		return nil, "", err
	}
	if _, err := dec.Decode(); err != io.EOF {
		t.Fatalf("one message made more than one event: %v", err)
	}
	got, err := parseMessage(ev, max)
	return got, ev.Event, err
}

func TestMessageEncoding(t *testing.T) {
	for _, tc := range []struct {
		name  string
		m     transport.Message
		event string
	}{
		{"json body as text", transport.Message{Header: map[string]string{"Content-Type": "application/json"}, Body: []byte("{\"a\":\"b\"}\n")}, eventText},
		{"binary body as base64", transport.Message{Body: []byte{0xff, 0, 1}}, eventBinary},
		{"CR forces base64", transport.Message{Body: []byte("a\r\nb")}, eventBinary},
		{"many LFs force base64", transport.Message{Body: bytes.Repeat([]byte("\n"), 64)}, eventBinary},
		{"empty", transport.Message{}, eventText},
		{"escaped headers", transport.Message{Header: map[string]string{"a&b=c%": "\x00\n\r\x7f\xc3\xa9", "": ""}}, eventText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, event, err := roundTrip(t, &tc.m, DefaultMaxMessageSize)
			require.NoError(t, err)
			assert.Equal(t, tc.event, event)
			assertSame(t, &tc.m, got)
		})
	}
}

func TestMessageWire(t *testing.T) {
	frame, _, err := appendMessage(nil, nil, &transport.Message{Header: map[string]string{"Micro-Id": "1"}, Body: []byte("{}\n")})
	require.NoError(t, err)
	assert.Equal(t, "event: t\ndata: Micro-Id=1\ndata: {}\ndata: \n\n", string(frame))
	frame, _, err = appendMessage(nil, nil, &transport.Message{Header: map[string]string{"k": "a=b"}, Body: []byte{0xff}})
	require.NoError(t, err)
	assert.Equal(t, "event: b\ndata: k=a%3Db\ndata: /w==\n\n", string(frame))
}

func TestParseMessageRejects(t *testing.T) {
	for _, data := range []string{
		"no header line",
		"k\nbody",       // pair without '='
		"k=v&\nbody",    // empty pair
		"k=%4\nbody",    // truncated escape
		"k=%zz\nbody",   // bad escape
		"k=a=b\nbody",   // raw '='
		"k=1&k=2\nbody", // duplicate
	} {
		_, err := parseMessage(&codec.Event{Event: eventText, Data: []byte(data)}, 100)
		assert.ErrorIs(t, err, errMalformed, "%q", data)
	}
	_, err := parseMessage(&codec.Event{Event: eventBinary, Data: []byte("\n!!!")}, 100)
	assert.ErrorIs(t, err, errMalformed)
	_, err = parseMessage(&codec.Event{Event: "x", Data: []byte("\n")}, 100)
	assert.ErrorIs(t, err, errMalformed)
	_, err = parseMessage(&codec.Event{Event: eventText, Data: []byte("k=v\n12345678")}, 9)
	assert.ErrorIs(t, err, ErrMessageTooLarge)
}

// FuzzMessage checks that any message survives encoding exactly, and that
// any frame the parser accepts re-encodes to the same message.
func FuzzMessage(f *testing.F) {
	f.Add("Content-Type", "application/json", "Micro-Id", "42", []byte("{\"a\":1}\n"))
	f.Add("", "", "a&b", "c=d%", []byte{0, 0xff, '\r', '\n'})
	f.Add("k", "\r\n\x00\x7f", "é", "\xff\xfe", []byte(": not a comment\n\n data"))
	f.Add("x", "y", "x2", "", []byte("\xef\xbb\xbfbom"))
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, body []byte) {
		m := &transport.Message{Header: map[string]string{k1: v1, k2: v2}, Body: body}
		got, _, err := roundTrip(t, m, 1<<20)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if len(got.Header) != len(m.Header) {
			t.Fatalf("headers %q, want %q", got.Header, m.Header)
		}
		for k, v := range m.Header {
			if got.Header[k] != v {
				t.Fatalf("header %q = %q, want %q", k, got.Header[k], v)
			}
		}
		if !bytes.Equal(got.Body, body) {
			t.Fatalf("body %q, want %q", got.Body, body)
		}
	})
}

// FuzzParseFrame feeds arbitrary POST bodies to the decoder and parser: no
// panic, and an accepted message survives re-encoding.
func FuzzParseFrame(f *testing.F) {
	f.Add([]byte("event: t\ndata: Micro-Id=1\ndata: {}\n\n"))
	f.Add([]byte("event: b\ndata: k=a%3Db\ndata: /w==\n\n"))
	f.Add([]byte("event: t\ndata: \ndata: \n\nevent: t\ndata: =\ndata: x\n\n"))
	f.Add([]byte("event: b\r\ndata: %zz\r\n\r\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		dec := codec.NewDecoder(bytes.NewReader(stream), codec.MaxLineBytes(1<<16), codec.MaxEventBytes(1<<16))
		for {
			ev, err := dec.Decode()
			if err != nil {
				return
			}
			m, err := parseMessage(ev, 1<<14)
			if err != nil {
				continue
			}
			again, _, err := roundTrip(t, m, 1<<14)
			if err != nil {
				t.Fatalf("re-encoding an accepted message: %v", err)
			}
			assertSame(t, m, again)
		}
	})
}
