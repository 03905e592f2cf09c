package codec

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"go-micro.dev/v4/broker"
	microcodec "go-micro.dev/v4/codec"
)

var (
	_ microcodec.NewCodec  = NewCodec
	_ microcodec.NewCodec  = NewBase64Codec
	_ microcodec.Marshaler = Marshaler{}
)

// bufConn is an in-memory connection: writes append, reads consume.
type bufConn struct {
	bytes.Buffer
	closed int
}

func (c *bufConn) Close() error { c.closed++; return nil }

func TestCodecWriteRead(t *testing.T) {
	conn := &bufConn{}
	c := NewCodec(conn)
	if c.String() != "text/event-stream" {
		t.Fatalf("String() = %q", c.String())
	}
	writes := []struct {
		m *microcodec.Message
		b interface{}
	}{
		{&microcodec.Message{Id: "1", Endpoint: "Greeter.Hello", Type: microcodec.Event}, []byte("hi")},
		{&microcodec.Message{Id: "2", Header: map[string]string{HeaderEvent: "add", HeaderRetry: "1500"}}, "a\nb"},
		{&microcodec.Message{}, &Event{ID: "3", Event: "own", Data: []byte("x")}},
		{&microcodec.Message{Id: "4"}, &broker.Message{Header: map[string]string{HeaderEvent: "b"}, Body: []byte("y")}},
		{&microcodec.Message{Id: "5"}, nil}, // no data: not dispatched on read
		{&microcodec.Message{}, "z"},
	}
	for _, w := range writes {
		if err := c.Write(w.m, w.b); err != nil {
			t.Fatal(err)
		}
	}
	want := "id: 1\nevent: Greeter.Hello\ndata: hi\n\n" +
		"id: 2\nevent: add\nretry: 1500\ndata: a\ndata: b\n\n" +
		"id: 3\nevent: own\ndata: x\n\n" +
		"id: 4\nevent: b\ndata: y\n\n" +
		"id: 5\n\n" +
		"data: z\n\n"
	if conn.String() != want {
		t.Fatalf("wire:\n%q\nwant\n%q", conn.String(), want)
	}

	type read struct {
		id, endpoint, data string
		retry              string
	}
	wantReads := []read{{"1", "Greeter.Hello", "hi", ""}, {"2", "add", "a\nb", "1500"}, {"3", "own", "x", ""}, {"4", "b", "y", ""}, {"5", "", "z", ""}}
	for i, w := range wantReads {
		var m microcodec.Message
		if err := c.ReadHeader(&m, microcodec.Event); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		var body string
		if err := c.ReadBody(&body); err != nil {
			t.Fatal(err)
		}
		if m.Id != w.id || m.Endpoint != w.endpoint || body != w.data || m.Header[HeaderRetry] != w.retry ||
			m.Header[HeaderContentType] != ContentType || m.Type != microcodec.Event {
			t.Fatalf("read %d: %+v body %q, want %+v", i, m, body, w)
		}
	}
	var m microcodec.Message
	if err := c.ReadHeader(&m, microcodec.Event); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if err := c.ReadBody(nil); !errors.Is(err, ErrNoHeader) {
		t.Fatalf("ReadBody without a header: %v, want ErrNoHeader", err)
	}
	if c.Close() != nil || c.Close() != nil || conn.closed != 1 {
		t.Fatalf("Close: closed %d times", conn.closed)
	}
}

func TestCodecReadBodyTargets(t *testing.T) {
	conn := &bufConn{}
	conn.WriteString("id: 7\nevent: t\ndata: d\n\n")
	conn.WriteString("id: 8\ndata: e\n\n")
	conn.WriteString("data: f\n\n")
	conn.WriteString("data: g\n\n")
	c := NewCodec(conn)
	var m microcodec.Message
	var ev Event
	if c.ReadHeader(&m, microcodec.Event) != nil || c.ReadBody(&ev) != nil || ev.ID != "7" || ev.Event != "t" || string(ev.Data) != "d" {
		t.Fatalf("*Event: %+v", ev)
	}
	var bm broker.Message
	if c.ReadHeader(&m, microcodec.Event) != nil || c.ReadBody(&bm) != nil || bm.Header[HeaderID] != "8" || string(bm.Body) != "e" {
		t.Fatalf("*broker.Message: %+v", bm)
	}
	var raw []byte
	if c.ReadHeader(&m, microcodec.Event) != nil || c.ReadBody(&raw) != nil || string(raw) != "f" {
		t.Fatalf("*[]byte: %q", raw)
	}
	var n int
	if err := c.ReadHeader(&m, microcodec.Event); err != nil {
		t.Fatal(err)
	}
	if err := c.ReadBody(&n); !errors.Is(err, microcodec.ErrInvalidMessage) {
		t.Fatalf("*int: %v", err)
	}
}

func TestCodecWriteRefuses(t *testing.T) {
	conn := &bufConn{}
	c := NewCodec(conn)
	cases := []struct {
		m   *microcodec.Message
		b   interface{}
		err error
	}{
		{&microcodec.Message{Id: "1\ndata: evil"}, "x", ErrInvalidID},
		{&microcodec.Message{Endpoint: "a\rb"}, "x", ErrInvalidEvent},
		{&microcodec.Message{Header: map[string]string{HeaderRetry: "soon"}}, "x", ErrInvalidRetry},
		{&microcodec.Message{}, []byte{0xFF}, ErrInvalidUTF8},
		{&microcodec.Message{}, 42, microcodec.ErrInvalidMessage},
	}
	for _, cs := range cases {
		if err := c.Write(cs.m, cs.b); !errors.Is(err, cs.err) {
			t.Errorf("%+v %v: got %v, want %v", cs.m, cs.b, err, cs.err)
		}
	}
	if conn.Len() != 0 {
		t.Fatalf("refused writes wrote %q", conn.String())
	}
}

func TestBase64Codec(t *testing.T) {
	conn := &bufConn{}
	c := NewBase64Codec(conn)
	bin := []byte{0, 0xFF, '\n', '\r', 0xC0}
	if err := c.Write(&microcodec.Message{Id: "1"}, bin); err != nil {
		t.Fatal(err)
	}
	if conn.String() != "id: 1\ndata: AP8KDcA=\n\n" {
		t.Fatalf("wire %q", conn.String())
	}
	var m microcodec.Message
	var got []byte
	if err := c.ReadHeader(&m, microcodec.Request); err != nil {
		t.Fatal(err)
	}
	if err := c.ReadBody(&got); err != nil || !bytes.Equal(got, bin) {
		t.Fatalf("got %q %v", got, err)
	}
}

func TestMarshaler(t *testing.T) {
	var mr Marshaler
	if mr.String() != ContentType {
		t.Fatal(mr.String())
	}
	cases := []struct {
		v    interface{}
		wire string
		back Event
	}{
		{&Event{ID: "1", Event: "t", Data: []byte("a\r\nb"), Retry: time.Second, Comment: "c"},
			": c\nid: 1\nevent: t\nretry: 1000\ndata: a\ndata: b\n\n",
			Event{ID: "1", Event: "t", Data: []byte("a\nb"), Retry: time.Second, Comment: "c"}},
		{Event{ID: "2"}, "id: 2\n\n", Event{ID: "2"}},
		{Event{Comment: " x\ny"}, ":  x\n: y\n\n", Event{Comment: " x\ny"}},
		{Event{}, "\n", Event{}},
		{[]byte("raw"), "data: raw\n\n", Event{Data: []byte("raw")}},
		{"s\n", "data: s\ndata: \n\n", Event{Data: []byte("s\n")}},
		{&broker.Message{Header: map[string]string{HeaderID: "9"}, Body: []byte("m")}, "id: 9\ndata: m\n\n", Event{ID: "9", Data: []byte("m")}},
	}
	for _, c := range cases {
		b, err := mr.Marshal(c.v)
		if err != nil || string(b) != c.wire {
			t.Fatalf("Marshal(%+v) = %q, %v; want %q", c.v, b, err, c.wire)
		}
		var ev Event
		if err := mr.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		if !eventsEqual([]Event{ev}, []Event{c.back}) {
			t.Fatalf("Unmarshal(%q) = %+v, want %+v", b, ev, c.back)
		}
	}
	var s string
	if err := mr.Unmarshal([]byte("data: a\n\ndata: b\n\n"), &s); err != nil || s != "a" {
		t.Fatalf("first frame: %q %v", s, err)
	}
	for _, in := range []string{"", "data: a", "data: a\n"} {
		if err := mr.Unmarshal([]byte(in), &s); !errors.Is(err, ErrNoEvent) {
			t.Fatalf("Unmarshal(%q): %v, want ErrNoEvent", in, err)
		}
	}
	if _, err := mr.Marshal(&Event{ID: "\n"}); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("Marshal refused: %v", err)
	}
	if _, err := mr.Marshal(3.5); !errors.Is(err, microcodec.ErrInvalidMessage) {
		t.Fatalf("Marshal float: %v", err)
	}

	b64 := Marshaler{Encoding: DataBase64}
	b, err := b64.Marshal([]byte{0xFF, 0})
	if err != nil || string(b) != "data: /wA=\n\n" {
		t.Fatalf("base64 Marshal %q %v", b, err)
	}
	var raw []byte
	if err := b64.Unmarshal(b, &raw); err != nil || !bytes.Equal(raw, []byte{0xFF, 0}) {
		t.Fatalf("base64 Unmarshal %q %v", raw, err)
	}
}
