package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v4"
	merrors "go-micro.dev/v4/errors"
	"go-micro.dev/v4/metadata"
	"go-micro.dev/v4/server"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// What protoc-gen-micro generates for
//
//	service Greeter {
//	  rpc Call(Request) returns (Response);
//	  rpc Stream(StreamRequest) returns (stream Response);
//	}
//
// written out by hand with JSON messages: the handler interface, the
// registered struct whose Stream takes a server.Stream, and the typed
// stream wrapper.

type Request struct {
	Name string `json:"name"`
}

type StreamRequest struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	Fail  string `json:"fail,omitempty"`
}

type Response struct {
	Msg string `json:"msg"`
	N   int    `json:"n,omitempty"`
}

type GreeterHandler interface {
	Call(ctx context.Context, req *Request, rsp *Response) error
	Stream(ctx context.Context, req *StreamRequest, stream Greeter_StreamStream) error
}

type Greeter_StreamStream interface {
	Context() context.Context
	SendMsg(interface{}) error
	RecvMsg(interface{}) error
	Close() error
	Send(*Response) error
}

func RegisterGreeterHandler(s server.Server, hdlr GreeterHandler, opts ...server.HandlerOption) error {
	type greeter interface {
		Call(ctx context.Context, in *Request, out *Response) error
		Stream(ctx context.Context, stream server.Stream) error
	}
	type Greeter struct {
		greeter
	}
	h := &greeterHandler{hdlr}
	return s.Handle(s.NewHandler(&Greeter{h}, opts...))
}

type greeterHandler struct {
	GreeterHandler
}

func (h *greeterHandler) Call(ctx context.Context, in *Request, out *Response) error {
	return h.GreeterHandler.Call(ctx, in, out)
}

func (h *greeterHandler) Stream(ctx context.Context, stream server.Stream) error {
	m := new(StreamRequest)
	if err := stream.Recv(m); err != nil {
		return err
	}
	return h.GreeterHandler.Stream(ctx, m, &greeterStreamStream{stream})
}

type greeterStreamStream struct {
	stream server.Stream
}

func (x *greeterStreamStream) Close() error                { return x.stream.Close() }
func (x *greeterStreamStream) Context() context.Context    { return x.stream.Context() }
func (x *greeterStreamStream) SendMsg(m interface{}) error { return x.stream.Send(m) }
func (x *greeterStreamStream) RecvMsg(m interface{}) error { return x.stream.Recv(m) }
func (x *greeterStreamStream) Send(m *Response) error      { return x.stream.Send(m) }

// greeter is the handler: Stream sends Count greetings numbered from 1,
// resuming after the Last-Event-ID it is given (the event ids are the
// numbers), and fails with a go-micro error after them when asked to.
type greeter struct {
	mu       sync.Mutex
	lastIDs  []string // LastEventID(ctx) of each Stream call
	metaIDs  []string // metadata "Last-Event-Id" of each Stream call
	accounts []string
}

func (g *greeter) Call(ctx context.Context, req *Request, rsp *Response) error {
	if req.Name == "" {
		return merrors.BadRequest("greeter", "name is empty")
	}
	rsp.Msg = "hello " + req.Name
	return nil
}

func (g *greeter) Stream(ctx context.Context, req *StreamRequest, stream Greeter_StreamStream) error {
	last := sse.LastEventID(ctx)
	md, _ := metadata.Get(ctx, "Last-Event-Id")
	g.mu.Lock()
	g.lastIDs = append(g.lastIDs, last)
	g.metaIDs = append(g.metaIDs, md)
	g.mu.Unlock()
	from, _ := strconv.Atoi(last)
	for n := from + 1; n <= req.Count; n++ {
		if err := stream.Send(&Response{Msg: "hello " + req.Name, N: n}); err != nil {
			return err
		}
	}
	if req.Fail != "" {
		return merrors.Conflict("greeter", "%s", req.Fail)
	}
	return nil
}

// startGreeter runs a go-micro service with the SSE server and broker and
// the Greeter handler.
func startGreeter(t *testing.T, extra ...micro.Option) (*ssetest.Service, *greeter, *sse.Server) {
	t.Helper()
	srv := newServer()
	g := &greeter{}
	if err := RegisterGreeterHandler(srv, g); err != nil {
		t.Fatalf("RegisterGreeterHandler: %v", err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "greeter", Broker: ssebroker.NewBroker(), Extra: extra})
	return svc, g, srv
}

func streamURL(svc *ssetest.Service, req any) string {
	b, _ := json.Marshal(req)
	return svc.URL("/rpc/Greeter.Stream?req=" + url.QueryEscape(string(b)))
}

func TestRPCStreamEventsThenEnd(t *testing.T) {
	svc, _, _ := startGreeter(t)
	st := ssetest.OpenT(t, streamURL(svc, StreamRequest{Name: "Ann", Count: 3}), "")
	if ct := st.Response.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type = %q", ct)
	}
	for n := 1; n <= 3; n++ {
		ev := st.Next(t)
		var rsp Response
		if err := json.Unmarshal(ev.Data, &rsp); err != nil {
			t.Fatalf("event %d data %q: %v", n, ev.Data, err)
		}
		if ev.ID != strconv.Itoa(n) || ev.Event != "" || rsp.Msg != "hello Ann" || rsp.N != n {
			t.Fatalf("event %d = id %q type %q %+v", n, ev.ID, ev.Event, rsp)
		}
	}
	end := st.Next(t)
	if end.Event != sse.EventEnd || end.ID != sse.EndedIDPrefix+"3" || string(end.Data) != `{"lastEventId":"3"}` {
		t.Fatalf("end event = %+v (data %q)", end, end.Data)
	}
	if err := st.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("stream end: %v", err)
	}
	if st.Retry() != sse.DefaultRetry {
		t.Fatalf("retry = %v", st.Retry())
	}

	// EventSource reconnects with the end id: 204 tells it to stop.
	_, err := ssetest.Open(context.Background(), nil, streamURL(svc, StreamRequest{Name: "Ann", Count: 3}), end.ID)
	var se *ssetest.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNoContent {
		t.Fatalf("reconnect after the end = %v, want 204", err)
	}
}

func TestRPCStreamResumesFromLastEventID(t *testing.T) {
	svc, g, _ := startGreeter(t)
	u := streamURL(svc, StreamRequest{Name: "Bob", Count: 5})
	st := ssetest.OpenT(t, u, "2")
	for n := 3; n <= 5; n++ {
		if ev := st.Next(t); ev.ID != strconv.Itoa(n) || !bytes.Contains(ev.Data, []byte(fmt.Sprintf(`"n":%d`, n))) {
			t.Fatalf("resumed event = %+v (data %q), want n %d", ev, ev.Data, n)
		}
	}
	if ev := st.Next(t); ev.Event != sse.EventEnd {
		t.Fatalf("after the resumed events: %+v", ev)
	}
	// A polyfill's query parameter works as the header does.
	st2 := ssetest.OpenT(t, u+"&lastEventId=4", "")
	if ev := st2.Next(t); ev.ID != "5" {
		t.Fatalf("resumed by query: %+v", ev)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if fmt.Sprint(g.lastIDs) != "[2 4]" || fmt.Sprint(g.metaIDs) != "[2 4]" {
		t.Fatalf("handler saw LastEventID %q, metadata %q", g.lastIDs, g.metaIDs)
	}
}

// TestRPCStreamEndAfterResumeKeepsPosition: a stream resumed where the
// handler has nothing more ends with the client's own position, not an
// empty one: sse-end / sse-error with the id EndedIDPrefix+"3" and the
// end's data {"lastEventId":"3"}.
func TestRPCStreamEndAfterResumeKeepsPosition(t *testing.T) {
	svc, _, _ := startGreeter(t)
	st := ssetest.OpenT(t, streamURL(svc, StreamRequest{Name: "Di", Count: 3}), "3")
	if ev := st.Next(t); ev.Event != sse.EventEnd || ev.ID != sse.EndedIDPrefix+"3" || string(ev.Data) != `{"lastEventId":"3"}` {
		t.Fatalf("end after resuming at the end = %+v (data %q)", ev, ev.Data)
	}
	st = ssetest.OpenT(t, streamURL(svc, StreamRequest{Name: "Di", Count: 3, Fail: "no more"}), "3")
	if ev := st.Next(t); ev.Event != sse.EventError || ev.ID != sse.EndedIDPrefix+"3" {
		t.Fatalf("error after resuming at the end = %+v (data %q)", ev, ev.Data)
	}
}

func TestRPCStreamErrorIsFinalEvent(t *testing.T) {
	svc, _, _ := startGreeter(t)
	st := ssetest.OpenT(t, streamURL(svc, StreamRequest{Name: "Cy", Count: 1, Fail: "out of greetings"}), "")
	if ev := st.Next(t); ev.ID != "1" {
		t.Fatalf("first event %+v", ev)
	}
	ev := st.Next(t)
	if ev.Event != sse.EventError || ev.ID != sse.EndedIDPrefix+"1" {
		t.Fatalf("error event = %+v", ev)
	}
	var me merrors.Error
	if err := json.Unmarshal(ev.Data, &me); err != nil || me.Code != 409 || me.Detail != "out of greetings" || me.Id != "greeter" || me.Status != "Conflict" {
		t.Fatalf("error data %q: %v %+v", ev.Data, err, &me)
	}
	if err := st.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("stream end: %v", err)
	}
}

func TestRPCStreamQueryFields(t *testing.T) {
	svc, _, _ := startGreeter(t)
	st := ssetest.OpenT(t, svc.URL("/rpc/Greeter.Stream?name=D%C3%A9&count=2"), "")
	for n := 1; n <= 2; n++ {
		if ev := st.Next(t); string(ev.Data) != fmt.Sprintf(`{"msg":"hello Dé","n":%d}`, n) {
			t.Fatalf("event %d data %q", n, ev.Data)
		}
	}
	if ev := st.Next(t); ev.Event != sse.EventEnd {
		t.Fatalf("end %+v", ev)
	}
	// A field that does not convert fails the handler's Recv: a 400
	// go-micro error as the final event.
	bad := ssetest.OpenT(t, svc.URL("/rpc/Greeter.Stream?count=many"), "")
	ev := bad.Next(t)
	var me merrors.Error
	if ev.Event != sse.EventError || json.Unmarshal(ev.Data, &me) != nil || me.Code != 400 {
		t.Fatalf("bad field: %+v (data %q)", ev, ev.Data)
	}
}

func TestRPCUnaryJSON(t *testing.T) {
	svc, _, _ := startGreeter(t)
	resp, err := http.Post(svc.URL("/rpc/Greeter.Call"), "application/json", strings.NewReader(`{"name":"Ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || string(body) != `{"msg":"hello Ann"}` {
		t.Fatalf("POST Call = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, err = http.Get(svc.URL("/rpc/Greeter.Call?name=Bo"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"msg":"hello Bo"}` {
		t.Fatalf("GET Call = %d %q", resp.StatusCode, body)
	}
	// The handler's go-micro error: its code and JSON.
	resp, err = http.Post(svc.URL("/rpc/Greeter.Call"), "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var me merrors.Error
	if resp.StatusCode != 400 || json.Unmarshal(body, &me) != nil || me.Detail != "name is empty" {
		t.Fatalf("POST Call {} = %d %q", resp.StatusCode, body)
	}
	for _, c := range []struct {
		method, path, body string
		code               int
	}{
		{"POST", "/rpc/Greeter.Call", `{"name":`, 400}, // does not decode
		{"POST", "/rpc/Greeter.Stream", `{}`, 405},     // streams are GET
		{"DELETE", "/rpc/Greeter.Call", ``, 405},       // neither GET nor POST
		{"GET", "/rpc/Greeter.Nope", ``, 404},          // no such method
		{"GET", "/rpc/Nobody.Call", ``, 404},           // no such service
	} {
		req, _ := http.NewRequest(c.method, svc.URL(c.path), strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || json.Unmarshal(body, &me) != nil || me.Code != int32(c.code) {
			t.Errorf("%s %s = %d %q, want %d with a go-micro error", c.method, c.path, resp.StatusCode, body, c.code)
		}
	}
}

func TestRPCHandlerWrappersApply(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	outer := func(fn server.HandlerFunc) server.HandlerFunc {
		return func(ctx context.Context, req server.Request, rsp interface{}) error {
			mu.Lock()
			seen = append(seen, "outer "+req.Endpoint())
			mu.Unlock()
			if req.Header()["X-Refuse"] != "" {
				return merrors.Forbidden("wrapper", "refused by the wrapper")
			}
			return fn(metadata.Set(ctx, "Wrapped", "yes"), req, rsp)
		}
	}
	inner := func(fn server.HandlerFunc) server.HandlerFunc {
		return func(ctx context.Context, req server.Request, rsp interface{}) error {
			w, _ := metadata.Get(ctx, "Wrapped")
			mu.Lock()
			seen = append(seen, fmt.Sprintf("inner %s stream=%v wrapped=%s", req.Endpoint(), req.Stream(), w))
			mu.Unlock()
			return fn(ctx, req, rsp)
		}
	}
	svc, _, _ := startGreeter(t, micro.WrapHandler(outer, inner))

	resp, err := http.Post(svc.URL("/rpc/Greeter.Call"), "application/json", strings.NewReader(`{"name":"W"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	st := ssetest.OpenT(t, streamURL(svc, StreamRequest{Name: "W", Count: 1}), "")
	st.Next(t)
	if ev := st.Next(t); ev.Event != sse.EventEnd {
		t.Fatalf("end %+v", ev)
	}
	// The refusal through the wrapper, on a stream: the final error event.
	hreq, _ := http.NewRequest("GET", streamURL(svc, StreamRequest{Name: "W", Count: 1}), nil)
	hreq.Header.Set("X-Refuse", "1")
	hresp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	ev, derr := codec.NewDecoder(hresp.Body).Decode()
	hresp.Body.Close()
	if derr != nil || ev.Event != sse.EventError || !strings.Contains(string(ev.Data), "refused by the wrapper") {
		t.Fatalf("refused stream: %+v %v", ev, derr)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"outer Greeter.Call", "inner Greeter.Call stream=false wrapped=yes",
		"outer Greeter.Stream", "inner Greeter.Stream stream=true wrapped=yes",
	}
	if len(seen) < len(want) || fmt.Sprint(seen[:len(want)]) != fmt.Sprint(want) {
		t.Fatalf("wrappers saw %q, want first %q", seen, want)
	}
}

func TestRPCEndpointsRegisteredWithStreamMetadata(t *testing.T) {
	svc, _, _ := startGreeter(t)
	var eps map[string]map[string]string
	ssetest.Eventually(t, "greeter registered", func() bool {
		s, err := svc.Registry.GetService("greeter")
		if err != nil || len(s) != 1 {
			return false
		}
		eps = map[string]map[string]string{}
		for _, ep := range s[0].Endpoints {
			eps[ep.Name] = ep.Metadata
		}
		return len(s[0].Nodes) == 1 && s[0].Nodes[0].Metadata["rpc_path"] == sse.DefaultRPCPath
	})
	if md, ok := eps["Greeter.Stream"]; !ok || md["stream"] != "true" {
		t.Fatalf("Greeter.Stream endpoint metadata = %v (endpoints %v)", md, eps)
	}
	if md, ok := eps["Greeter.Call"]; !ok || md["stream"] != "" {
		t.Fatalf("Greeter.Call endpoint metadata = %v (endpoints %v)", md, eps)
	}
}

// Echo is a second handler struct on the same server, with a raw stream
// method that sends codec events with ids of its own.
type Echo struct{}

func (Echo) Say(ctx context.Context, req *Request, rsp *Response) error {
	rsp.Msg = req.Name
	return nil
}

func (Echo) Letters(ctx context.Context, stream server.Stream) error {
	var req Request
	if err := stream.Recv(&req); err != nil {
		return err
	}
	if err := stream.Recv(&req); !errors.Is(err, io.EOF) {
		return fmt.Errorf("second Recv = %v, want io.EOF", err)
	}
	for _, r := range req.Name {
		if err := stream.Send(&codec.Event{ID: "l-" + string(r), Event: "letter", Data: []byte(string(r))}); err != nil {
			return err
		}
	}
	return nil
}

func TestHandleSeveralStructsAndHTTPHandler(t *testing.T) {
	srv := newServer()
	if err := RegisterGreeterHandler(srv, &greeter{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Handle(srv.NewHandler(Echo{})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Handle(srv.NewHandler(&Echo{})); !errors.Is(err, sse.ErrHandlerExists) {
		t.Fatalf("second Echo = %v, want ErrHandlerExists", err)
	}
	type empty struct{}
	if err := srv.Handle(srv.NewHandler(&empty{})); !errors.Is(err, sse.ErrInvalidHandler) {
		t.Fatalf("struct without methods = %v, want ErrInvalidHandler", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	if err := srv.Handle(srv.NewHandler(mux)); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "multi"})

	st := ssetest.OpenT(t, svc.URL("/rpc/Echo.Letters?name=ab"), "")
	for _, want := range []string{"a", "b"} {
		if ev := st.Next(t); ev.ID != "l-"+want || ev.Event != "letter" || string(ev.Data) != want {
			t.Fatalf("letter %+v", ev)
		}
	}
	if ev := st.Next(t); ev.Event != sse.EventEnd || ev.ID != sse.EndedIDPrefix+"l-b" {
		t.Fatalf("end %+v", ev)
	}
	for path, want := range map[string]string{"/rpc/Echo.Say?name=x": `{"msg":"x"}`, "/rpc/Greeter.Call?name=y": `{"msg":"hello y"}`, "/page": "page"} {
		resp, err := http.Get(svc.URL(path))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != want {
			t.Errorf("GET %s = %d %q, want %q", path, resp.StatusCode, body, want)
		}
	}
}

func TestRPCStreamStopTellsToComeBack(t *testing.T) {
	srv := newServer()
	started := make(chan struct{})
	ended := make(chan error, 1)
	if err := srv.Handle(srv.NewHandler(&blocker{started: started, ended: ended})); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "blocker"})
	st := ssetest.OpenT(t, svc.URL("/rpc/blocker.Wait"), "")
	ev := st.Next(t)
	ssetest.Wait(t, started, "handler started")
	if err := svc.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := ssetest.Recv(t, ended, "handler end"); !errors.Is(err, context.Canceled) {
		t.Fatalf("handler context = %v, want cancelled", err)
	}
	if err := st.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("stream end: %v", err)
	}
	if ev.ID != "1" {
		t.Fatalf("first event %+v", ev)
	}
}

// blocker sends one event, then waits for its context.
type blocker struct {
	started chan struct{}
	ended   chan error
}

func (b *blocker) Wait(ctx context.Context, stream server.Stream) error {
	if err := stream.Send(map[string]int{"n": 1}); err != nil {
		return err
	}
	close(b.started)
	<-ctx.Done()
	b.ended <- ctx.Err()
	return ctx.Err()
}

func TestRPCStreamHeartbeatsWhileIdle(t *testing.T) {
	srv := newServer(sse.Heartbeat(20 * time.Millisecond))
	b := &blocker{started: make(chan struct{}), ended: make(chan error, 1)}
	if err := srv.Handle(srv.NewHandler(b)); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "idle"})
	resp, err := http.Get(svc.URL("/rpc/blocker.Wait"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The handler is idle after its first event: heartbeat comments follow.
	lines := bufio.NewScanner(resp.Body)
	seen := 0
	for seen < 2 && lines.Scan() {
		if lines.Text() == ": heartbeat" {
			seen++
		}
	}
	if seen < 2 {
		t.Fatalf("stream ended without heartbeats: %v", lines.Err())
	}
	if st := srv.Stats().Endpoint; st.Open != 1 {
		t.Fatalf("open streams = %d, want the RPC stream counted", st.Open)
	}
}

// Protos takes and answers a protobuf message (go-micro's own errors.Error).
type Protos struct{}

func (Protos) Echo(ctx context.Context, req *merrors.Error, rsp *merrors.Error) error {
	rsp.Id, rsp.Code, rsp.Detail = "echo", req.Code+1, req.Detail
	return nil
}

func TestRPCUnaryProtobufCodecs(t *testing.T) {
	srv := newServer()
	if err := srv.Handle(srv.NewHandler(Protos{})); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "protos"})
	check := func(what string, resp *http.Response, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got merrors.Error
		// The answer is protojson (go-micro's JSON marshaler).
		if resp.StatusCode != 200 || protojson.Unmarshal(body, &got) != nil || got.Id != "echo" || got.Code != 8 || got.Detail != "dé" {
			t.Fatalf("%s: %d %q", what, resp.StatusCode, body)
		}
	}
	wire, err := proto.Marshal(&merrors.Error{Code: 7, Detail: "dé"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(svc.URL("/rpc/Protos.Echo"), "application/protobuf", bytes.NewReader(wire))
	check("POST application/protobuf", resp, err)
	resp, err = http.Post(svc.URL("/rpc/Protos.Echo"), "application/json", strings.NewReader(`{"code":7,"detail":"dé"}`))
	check("POST application/json (jsonpb)", resp, err)
	resp, err = http.Get(svc.URL("/rpc/Protos.Echo?code=7&detail=d%C3%A9"))
	check("GET query fields", resp, err)
	resp, err = http.Post(svc.URL("/rpc/Protos.Echo"), "text/plain", strings.NewReader(`x`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("POST text/plain = %d, want 415", resp.StatusCode)
	}
}

// flood sends large messages until Send fails: a handler that feeds a
// client faster than it reads.
type flood struct {
	started, returned, sent atomic.Int64
	ended                   atomic.Int64 // handlers whose Send failed with ErrStreamEnded
}

func (f *flood) Pour(ctx context.Context, stream server.Stream) error {
	f.started.Add(1)
	defer f.returned.Add(1)
	msg := &codec.Event{Data: bytes.Repeat([]byte("f"), 64<<10)}
	for range 10000 { // at most 640 MiB: far more than a stalled client's sockets take
		if err := stream.Send(msg); err != nil {
			if errors.Is(err, sse.ErrStreamEnded) {
				f.ended.Add(1)
			}
			return err
		}
		f.sent.Add(1)
	}
	return nil
}

// TestStopCutsStalledRPCStreams: Stop with RPC streams whose clients
// stopped reading, their handlers blocked in Send, returns nil within a
// quarter of ShutdownGrace (plus a margin), in every write mode (HTTP/2
// included), with
// every handler returned, and (TestMain's goleak) nothing left running.
// Send used to write holding the stream's lock, which shutdown waited for
// before it cancelled: Stop took the whole grace.
func TestStopCutsStalledRPCStreams(t *testing.T) {
	cert, pool := selfSigned(t)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	for name, mode := range map[string][]server.Option{
		"goroutine": {sse.GoroutinePerStream()}, "shared": nil, "http2": {server.TLSConfig(tlsConfig)},
	} {
		t.Run(name, func(t *testing.T) {
			const clients, grace = 4, 6 * time.Second
			srv := newServer(append(mode, sse.WriteTimeout(time.Hour), sse.ShutdownGrace(grace))...)
			f := &flood{}
			if err := srv.Handle(srv.NewHandler(f)); err != nil {
				t.Fatal(err)
			}
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "flood"})
			if name != "http2" {
				for range clients {
					stalledGet(t, svc.Addr(), "/rpc/flood.Pour", "")
				}
			} else {
				tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true,
					DisableCompression: true} // the flood's bytes as they are: it must fill the window
				defer tr.CloseIdleConnections()
				for range clients { // one connection, a stream each, never read past its window
					req, _ := http.NewRequest(http.MethodGet, "https://"+svc.Addr()+"/rpc/flood.Pour", nil)
					resp, err := tr.RoundTrip(req)
					if err != nil {
						t.Fatal(err)
					}
					if resp.ProtoMajor != 2 {
						t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
					}
					defer resp.Body.Close()
				}
			}
			ssetest.Eventually(t, "the handlers started", func() bool { return f.started.Load() == clients })
			// Stalled: no handler gets a Send through for a while.
			last, since := f.sent.Load(), time.Now()
			ssetest.Eventually(t, "every handler blocked in Send", func() bool {
				if n := f.sent.Load(); n != last {
					last, since = n, time.Now()
				}
				return time.Since(since) > 300*time.Millisecond
			})

			start := time.Now()
			err := svc.Stop()
			took := time.Since(start)
			t.Logf("Stop with %d stalled RPC streams took %v (ShutdownGrace %v)", clients, took.Round(time.Millisecond), grace)
			if err != nil {
				t.Fatalf("Stop with stalled RPC streams: %v", err)
			}
			if bound := grace/4 + 2*time.Second; took > bound {
				t.Fatalf("Stop took %v with stalled RPC streams, want at most a quarter of the grace plus a margin (%v)", took, bound)
			}
			if got := f.returned.Load(); got != clients {
				t.Fatalf("Stop returned with %d of %d handlers returned", got, clients)
			}
			if got := f.ended.Load(); got != clients {
				t.Fatalf("%d of %d handlers' Send failed with ErrStreamEnded", got, clients)
			}
		})
	}
}

// lateSender sends after its stream ended: after Close, or once its
// context is cancelled (Stop).
type lateSender struct {
	started chan struct{}
	errs    chan error
}

func (l *lateSender) Closed(ctx context.Context, stream server.Stream) error {
	if err := stream.Close(); err != nil {
		return err
	}
	l.errs <- stream.Send(map[string]int{"n": 1})
	return nil
}

func (l *lateSender) Stopped(ctx context.Context, stream server.Stream) error {
	if err := stream.Send(map[string]int{"n": 1}); err != nil {
		return err
	}
	close(l.started)
	<-ctx.Done()
	l.errs <- stream.Send(map[string]int{"n": 2})
	return nil
}

// TestRPCStreamSendAfterEndIsErrStreamEnded: Send after Close, or once the
// server stops, returns ErrStreamEnded (and writes nothing).
func TestRPCStreamSendAfterEndIsErrStreamEnded(t *testing.T) {
	srv := newServer()
	l := &lateSender{started: make(chan struct{}), errs: make(chan error, 2)}
	if err := srv.Handle(srv.NewHandler(l)); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "late"})
	closed := ssetest.OpenT(t, svc.URL("/rpc/lateSender.Closed"), "")
	if err := ssetest.Recv(t, l.errs, "Send after Close"); !errors.Is(err, sse.ErrStreamEnded) {
		t.Fatalf("Send after Close = %v, want ErrStreamEnded", err)
	}
	if err := closed.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("closed stream: %v", err)
	}
	stopped := ssetest.OpenT(t, svc.URL("/rpc/lateSender.Stopped"), "")
	if ev := stopped.Next(t); ev.ID != "1" {
		t.Fatalf("first event %+v", ev)
	}
	ssetest.Wait(t, l.started, "the handler sent")
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := ssetest.Recv(t, l.errs, "Send after Stop"); !errors.Is(err, sse.ErrStreamEnded) {
		t.Fatalf("Send after Stop = %v, want ErrStreamEnded", err)
	}
	for ev := range stopped.Events {
		if len(ev.Data) > 0 {
			t.Fatalf("an event after Stop: %+v", ev)
		}
	}
}
