package codec

import (
	"errors"
	"testing"
	"time"

	"go-micro.dev/v4/broker"
)

func TestFromMessage(t *testing.T) {
	m := &broker.Message{
		Header: map[string]string{"Content-Type": "application/json", HeaderEvent: "add", HeaderID: "5", HeaderRetry: "2500"},
		Body:   []byte("{\"a\":1}\n"),
	}
	ev, err := FromMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Event != "add" || ev.ID != "5" || ev.Retry != 2500*time.Millisecond || string(ev.Data) != `{"a":1}` {
		t.Fatalf("got %+v", ev)
	}

	// Without a JSON content type the body is kept byte for byte.
	ev, err = FromMessage(&broker.Message{Header: map[string]string{}, Body: []byte("line\n")})
	if err != nil || string(ev.Data) != "line\n" || ev.Event != "" || ev.ID != "" || ev.Retry != 0 {
		t.Fatalf("got %+v %v", ev, err)
	}
	// A nil header map is fine.
	if ev, err = FromMessage(&broker.Message{Body: []byte("x")}); err != nil || string(ev.Data) != "x" {
		t.Fatalf("nil header: %+v %v", ev, err)
	}
}

func TestFromMessageRefuses(t *testing.T) {
	cases := []struct {
		header map[string]string
		err    error
	}{
		{map[string]string{HeaderEvent: "a\ndata: evil"}, ErrInvalidEvent},
		{map[string]string{HeaderEvent: "a\x00b"}, ErrInvalidEvent},
		{map[string]string{HeaderID: "1\r\n"}, ErrInvalidID},
		{map[string]string{HeaderID: "1\x00"}, ErrInvalidID},
		{map[string]string{HeaderRetry: "-1"}, ErrInvalidRetry},
		{map[string]string{HeaderRetry: "1s"}, ErrInvalidRetry},
		{map[string]string{HeaderRetry: "+5"}, ErrInvalidRetry},
		{map[string]string{HeaderRetry: "99999999999999999999"}, ErrInvalidRetry},
	}
	for _, c := range cases {
		if _, err := FromMessage(&broker.Message{Header: c.header, Body: []byte("x")}); !errors.Is(err, c.err) {
			t.Errorf("%v: got %v, want %v", c.header, err, c.err)
		}
	}
}

func TestToMessageRoundTrip(t *testing.T) {
	in := &Event{ID: "9", Event: "t", Data: []byte("a\nb"), Retry: 1500 * time.Millisecond, Comment: "dropped"}
	m := ToMessage(in)
	if m.Header[HeaderContentType] != ContentType {
		t.Fatalf("content type %q", m.Header[HeaderContentType])
	}
	out, err := FromMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	if out.ID != in.ID || out.Event != in.Event || string(out.Data) != string(in.Data) || out.Retry != in.Retry || out.Comment != "" {
		t.Fatalf("got %+v", out)
	}
	if m := ToMessage(&Event{Data: []byte("x")}); len(m.Header) != 1 {
		t.Fatalf("unset fields became headers: %v", m.Header)
	}
}

func TestFromMessageFor(t *testing.T) {
	bin := []byte{0xff, 0x00, 'a'}
	cases := []struct {
		name  string
		enc   DataEncoding
		asked string
		body  []byte
		want  string
		err   error
	}{
		{"text stream, UTF-8 body", DataText, "", []byte("héllo\nx"), "héllo\nx", nil},
		{"text stream, binary body", DataText, "", bin, "", ErrInvalidUTF8},
		{"text stream, binary body, text asked", DataText, EncodingText, bin, "", ErrInvalidUTF8},
		{"text stream, base64 asked", DataText, EncodingBase64, bin, "/wBh", nil},
		{"text stream, base64 asked for text", DataText, EncodingBase64, []byte("hé"), "aMOp", nil},
		{"base64 stream, binary body", DataBase64, "", bin, string(bin), nil},
		{"base64 stream, base64 asked: not twice", DataBase64, EncodingBase64, bin, string(bin), nil},
		{"unknown encoding", DataText, "gzip", []byte("x"), "", ErrInvalidEncoding},
		{"unknown encoding, base64 stream", DataBase64, "Base64", []byte("x"), "", ErrInvalidEncoding},
	}
	for _, c := range cases {
		h := map[string]string{HeaderEvent: "e"}
		if c.asked != "" {
			h[HeaderEncoding] = c.asked
		}
		ev, err := FromMessageFor(&broker.Message{Header: h, Body: c.body}, c.enc)
		if c.err != nil {
			if !errors.Is(err, c.err) || ev != nil {
				t.Errorf("%s: got %+v, %v; want %v", c.name, ev, err, c.err)
			}
			continue
		}
		if err != nil || string(ev.Data) != c.want || ev.Event != "e" {
			t.Errorf("%s: got %+v, %v; want data %q", c.name, ev, err, c.want)
		}
	}
	// Header errors come first, as in FromMessage.
	if _, err := FromMessageFor(&broker.Message{Header: map[string]string{HeaderID: "1\n", HeaderEncoding: EncodingBase64}}, DataText); !errors.Is(err, ErrInvalidID) {
		t.Errorf("injected id: got %v", err)
	}
}
