package transport

import (
	"bytes"
	"io"
	"strings"
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

// FuzzMessage checks that any message survives encoding exactly. The input
// is split on 0x1F into up to five parts: key, value, key, value, body.
func FuzzMessage(f *testing.F) {
	seed := func(parts ...string) { f.Add([]byte(strings.Join(parts, "\x1f"))) }
	seed("Content-Type", "application/json", "Micro-Id", "42", "{\"a\":1}\n")
	seed("", "", "a&b", "c=d%", "\x00\xff\r\n")
	seed("k", "\r\n\x00\x7f", "é", "\xff\xfe", ": not a comment\n\n data")
	seed("x", "y", "x2", "", "\xef\xbb\xbfbom")
	seed("only a body")
	f.Fuzz(func(t *testing.T, in []byte) {
		parts := bytes.SplitN(in, []byte{0x1f}, 5)
		m := &transport.Message{Header: map[string]string{}}
		for i := 0; i+1 < len(parts) && i < 4; i += 2 {
			m.Header[string(parts[i])] = string(parts[i+1])
		}
		if len(parts) == 5 || len(parts)%2 == 1 {
			m.Body = parts[len(parts)-1]
		}
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
		if !bytes.Equal(got.Body, m.Body) {
			t.Fatalf("body %q, want %q", got.Body, m.Body)
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

// BenchmarkMessageCodec encodes and decodes one 1 KiB message with the
// headers go-micro sends, as text (a JSON body) and as base64 (binary).
func BenchmarkMessageCodec(b *testing.B) {
	hdr := map[string]string{
		"Content-Type": "application/json", "Micro-Id": "12", "Micro-Service": "greeter",
		"Micro-Endpoint": "Greeter.Hello", "Micro-Method": "Greeter.Hello", "Timeout": "5000000000",
	}
	text := append(bytes.Repeat([]byte(`{"k":"v"},`), 102), '\n')
	bin := bytes.Repeat([]byte{0xff, 0, 1, 2}, 256)
	for _, bc := range []struct {
		name string
		body []byte
	}{{"text", text}, {"binary", bin}} {
		m := &transport.Message{Header: hdr, Body: bc.body}
		b.Run("encode/"+bc.name, func(b *testing.B) {
			var dst, scratch []byte
			b.SetBytes(int64(messageSize(m)))
			for i := 0; i < b.N; i++ {
				dst, scratch, _ = appendMessage(dst[:0], scratch, m)
			}
		})
		b.Run("decode/"+bc.name, func(b *testing.B) {
			frame, _, _ := appendMessage(nil, nil, m)
			stream := bytes.Repeat(frame, 64)
			b.SetBytes(int64(messageSize(m)))
			for i := 0; i < b.N; i += 64 {
				dec := codec.NewDecoder(bytes.NewReader(stream))
				for j := 0; j < 64; j++ {
					ev, err := dec.Decode()
					if err != nil {
						b.Fatal(err)
					}
					if _, err := parseMessage(ev, DefaultMaxMessageSize); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
