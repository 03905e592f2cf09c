package server

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"

	"go-micro.dev/v4/broker"
	mcodec "go-micro.dev/v4/codec"
	raw "go-micro.dev/v4/codec/bytes"
	"go-micro.dev/v4/metadata"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/util/buf"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// process delivers one broker message to the handlers of sb, as go-micro's
// rpc server does: the body is decoded by its Content-Type (default
// server.DefaultContentType) with the options' codecs, else go-micro's
// server.DefaultCodecs, into a new value of each handler's argument type;
// the context carries the message headers as go-micro metadata; the call
// goes through the options' subscriber wrappers (the first given is the
// outermost). With a server.WithRouter router, the message goes to the
// router's ProcessMessage instead (payload: the raw body as a
// *bytes.Frame). A text/event-stream body, an event's data (Publish), is
// given as it is to a handler taking []byte, string or *bytes.Frame, and
// decoded as JSON into any other type, unless the options have a codec
// for it. A handler's error or panic is returned to the broker (so
// a message is not acked when auto-ack is on).
func (s *Server) process(sb *subscriber, e broker.Event) (err error) {
	opts := s.Options()
	defer func() {
		if p := recover(); p != nil {
			logf(opts.Logger, "sse server: subscriber of %q panicked: %v\n%s", sb.topic, p, debug.Stack())
			err = fmt.Errorf("sse server: subscriber of %q panicked: %v", sb.topic, p)
		}
	}()

	msg := e.Message()
	if msg == nil {
		return fmt.Errorf("sse server: subscriber of %q: no message", sb.topic)
	}
	header := make(map[string]string, len(msg.Header)+1)
	for k, v := range msg.Header {
		header[k] = v
	}
	ct := header["Content-Type"]
	if ct == "" {
		ct = server.DefaultContentType
		header["Content-Type"] = ct
	}
	nc, ok := opts.Codecs[ct]
	if !ok {
		nc, ok = server.DefaultCodecs[ct]
	}
	if !ok && ct == codec.ContentType { // an event's data (Publish)
		nc, ok = newEventDataCodec, true
	}
	if !ok {
		return fmt.Errorf("sse server: subscriber of %q: unsupported Content-Type %q", sb.topic, ct)
	}
	ctx := metadata.NewContext(context.Background(), header)

	if opts.Router != nil {
		fn := opts.Router.ProcessMessage
		for i := len(opts.SubWrappers); i > 0; i-- {
			fn = opts.SubWrappers[i-1](fn)
		}
		return fn(ctx, &message{topic: sb.topic, contentType: ct, payload: &raw.Frame{Data: msg.Body}, header: header, body: msg.Body, codec: nc})
	}

	var errs []string
	for _, h := range sb.handlers {
		if err := s.call(ctx, opts, sb, h, nc, ct, header, msg.Body); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sse server: subscriber of %q: %s", sb.topic, strings.Join(errs, "; "))
	}
	return nil
}

// call decodes body for h and calls it through the subscriber wrappers.
func (s *Server) call(ctx context.Context, opts server.Options, sb *subscriber, h subHandler, nc mcodec.NewCodec, ct string, header map[string]string, body []byte) error {
	var req reflect.Value
	if h.reqType.Kind() == reflect.Pointer {
		req = reflect.New(h.reqType.Elem())
	} else {
		req = reflect.New(h.reqType)
	}
	cc := nc(buf.New(bytes.NewBuffer(body)))
	if err := cc.ReadHeader(&mcodec.Message{}, mcodec.Event); err != nil {
		return fmt.Errorf("decode header: %w", err)
	}
	if err := cc.ReadBody(req.Interface()); err != nil {
		return fmt.Errorf("decode %s body into %v: %w", ct, h.reqType, err)
	}
	if h.reqType.Kind() != reflect.Pointer {
		req = req.Elem()
	}
	fn := func(ctx context.Context, m server.Message) error {
		out := h.fn.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(m.Payload())})
		if err, _ := out[0].Interface().(error); err != nil {
			return err
		}
		return nil
	}
	for i := len(opts.SubWrappers); i > 0; i-- {
		fn = opts.SubWrappers[i-1](fn)
	}
	return fn(ctx, &message{topic: sb.topic, contentType: ct, payload: req.Interface(), header: header, body: body, codec: nc})
}

// message is the server.Message a subscriber wrapper or router sees.
type message struct {
	topic       string
	contentType string
	payload     any
	header      map[string]string
	body        []byte
	codec       mcodec.NewCodec
}

func (m *message) Topic() string             { return m.topic }
func (m *message) Payload() interface{}      { return m.payload }
func (m *message) ContentType() string       { return m.contentType }
func (m *message) Header() map[string]string { return m.header }
func (m *message) Body() []byte              { return m.body }

// Codec returns a reader of the body with the message's codec.
func (m *message) Codec() mcodec.Reader { return m.codec(buf.New(bytes.NewBuffer(m.body))) }
