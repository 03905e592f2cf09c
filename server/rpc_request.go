package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	mcodec "go-micro.dev/v4/codec"
	"go-micro.dev/v4/metadata"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/util/buf"
)

// The request of an RPC call over HTTP.
//
// POST (unary methods only): the body, decoded by its Content-Type with the
// server's codecs, else go-micro's server.DefaultCodecs (default
// application/json; application/protobuf takes a binary protobuf message).
//
// GET (unary and stream methods, so that EventSource can open a stream):
// the query parameter RPCRequestParam ("req") holds the whole request as
// JSON, url-encoded:
//
//	GET /rpc/Greeter.Stream?req=%7B%22name%22%3A%22Ann%22%7D
//
// or, without it, every other query parameter is one field of the request,
// named by its JSON name (the json tag, else the Go field name, any case),
// its value converted to the field's type (strings, numbers, booleans; a
// repeated parameter for a slice; an object field takes JSON):
//
//	GET /rpc/Greeter.Stream?name=Ann&count=3
//
// The parameters the server reads itself (RPCRequestParam, the
// LastEventIDParam and the auth token parameter) are never fields; unknown
// names are ignored, as JSON decoding ignores unknown keys.

// RPCRequestParam is the query parameter that carries a GET request's
// whole RPC request as JSON.
const RPCRequestParam = "req"

// maxRPCBodyBytes bounds the body of a POST request.
const maxRPCBodyBytes = 4 << 20

// rpcRequest is the go-micro server.Request a handler wrapper sees.
type rpcRequest struct {
	service     string // the server's name
	endpoint    string // Service.Method
	contentType string
	header      map[string]string
	body        []byte          // POST body or the req parameter; nil with query fields
	query       url.Values      // GET: the query, for query fields
	skip        map[string]bool // query parameters that are not fields
	newCodec    mcodec.NewCodec
	decoded     any // unary: the decoded request
	stream      bool
}

func (r *rpcRequest) Service() string           { return r.service }
func (r *rpcRequest) Method() string            { return r.endpoint }
func (r *rpcRequest) Endpoint() string          { return r.endpoint }
func (r *rpcRequest) ContentType() string       { return r.contentType }
func (r *rpcRequest) Header() map[string]string { return r.header }
func (r *rpcRequest) Body() interface{}         { return r.decoded }
func (r *rpcRequest) Stream() bool              { return r.stream }

// Read returns the undecoded request: the body, the req parameter, or the
// query fields as a JSON object (after a first decode).
func (r *rpcRequest) Read() ([]byte, error) { return r.body, nil }

// Codec returns a reader of the request with its codec.
func (r *rpcRequest) Codec() mcodec.Reader {
	return r.newCodec(buf.New(bytes.NewBuffer(r.body)))
}

// newRPCRequest reads the request of an RPC call; a refusal is returned as
// a status and reason (415 for a content type no codec decodes, 413 for a
// body too large).
func (s *Server) newRPCRequest(opts server.Options, cfg *config, hr *http.Request, q url.Values, endpoint string, stream bool) (*rpcRequest, int, string) {
	req := &rpcRequest{
		service:     opts.Name,
		endpoint:    endpoint,
		contentType: "application/json",
		header:      map[string]string{},
		stream:      stream,
	}
	for k, vs := range hr.Header {
		req.header[k] = strings.Join(vs, ",")
	}
	if hr.Method == http.MethodPost {
		if ct := hr.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil {
				return nil, http.StatusUnsupportedMediaType, fmt.Sprintf("bad Content-Type %q", ct)
			}
			req.contentType = mt
		}
		b, err := io.ReadAll(http.MaxBytesReader(nil, hr.Body, maxRPCBodyBytes))
		if err != nil {
			return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes or unreadable", maxRPCBodyBytes)
		}
		req.body = b
	} else {
		if q.Has(RPCRequestParam) {
			req.body = []byte(q.Get(RPCRequestParam))
		} else {
			req.query = q
			req.skip = map[string]bool{cfg.LastEventIDParam: true}
			if cfg.auth != nil && cfg.auth.queryParam != "" {
				req.skip[cfg.auth.queryParam] = true
			}
		}
	}
	req.header["Content-Type"] = req.contentType
	nc, ok := opts.Codecs[req.contentType]
	if !ok {
		nc, ok = server.DefaultCodecs[req.contentType]
	}
	if !ok {
		return nil, http.StatusUnsupportedMediaType, fmt.Sprintf("no codec for Content-Type %q", req.contentType)
	}
	req.newCodec = nc
	return req, 0, ""
}

// decode decodes the request into v (a pointer) with its codec. Query
// fields are first made a JSON object for v's type.
func (r *rpcRequest) decode(v any) error {
	if r.query != nil && r.body == nil {
		b, err := queryFieldsJSON(r.query, r.skip, reflect.TypeOf(v))
		if err != nil {
			return err
		}
		r.body = b
	}
	if len(bytes.TrimSpace(r.body)) == 0 && r.contentType == "application/json" {
		r.body = []byte("{}")
	}
	cc := r.newCodec(buf.New(bytes.NewBuffer(r.body)))
	if err := cc.ReadHeader(&mcodec.Message{Type: mcodec.Request}, mcodec.Request); err != nil {
		return fmt.Errorf("decode %s header: %w", r.contentType, err)
	}
	if err := cc.ReadBody(v); err != nil {
		return fmt.Errorf("decode %s request: %w", r.contentType, err)
	}
	return nil
}

// queryFieldsJSON makes a JSON object of the query parameters for a value
// of type t (a pointer to a struct): each parameter converted to the type
// of the field its name gives.
func queryFieldsJSON(q url.Values, skip map[string]bool, t reflect.Type) ([]byte, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	obj := map[string]any{}
	if t == nil || t.Kind() != reflect.Struct {
		return json.Marshal(obj)
	}
	// Sorted, and a parameter spelt as the JSON name after one spelt in
	// another case, so that the same query always gives the same request.
	keys := slices.Sorted(maps.Keys(q))
	for _, exact := range []bool{false, true} {
		for _, key := range keys {
			vals := q[key]
			if skip[key] || len(vals) == 0 {
				continue
			}
			name, ft, ok := fieldOf(t, key)
			if !ok || (name == key) != exact {
				continue
			}
			v, err := queryValue(ft, vals)
			if err != nil {
				return nil, fmt.Errorf("query field %q: %w", key, err)
			}
			obj[name] = v
		}
	}
	return json.Marshal(obj)
}

// fieldOf finds the exported field of struct t that key names: its JSON
// name or Go name, any case. It returns the JSON name and the type.
func fieldOf(t reflect.Type, key string) (string, reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.PkgPath != "" {
			continue
		}
		name := f.Name
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "-" {
			continue
		} else if tag != "" {
			name = tag
		}
		if strings.EqualFold(name, key) || strings.EqualFold(f.Name, key) {
			return name, f.Type, true
		}
	}
	return "", nil, false
}

// queryValue converts the values of one query parameter for a field of
// type t.
func queryValue(t reflect.Type, vals []string) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8 {
		out := make([]any, 0, len(vals))
		for _, s := range vals {
			v, err := scalarValue(t.Elem(), s)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return scalarValue(t, vals[len(vals)-1])
}

// scalarValue converts s for a field of type t.
func scalarValue(t reflect.Type, s string) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		if !utf8.ValidString(s) { // JSON would mangle it into U+FFFD
			return nil, fmt.Errorf("not UTF-8: %q", s)
		}
		return s, nil
	case reflect.Bool:
		return strconv.ParseBool(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil && t.PkgPath() != "" { // a named type (a proto enum) may take its name
			return s, nil
		}
		return n, err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.ParseUint(s, 10, 64)
	case reflect.Float32, reflect.Float64:
		return strconv.ParseFloat(s, 64)
	default: // objects, maps, bytes: JSON as given
		if !json.Valid([]byte(s)) {
			return nil, fmt.Errorf("not JSON: %q", s)
		}
		return json.RawMessage(s), nil
	}
}

// rpcContext is the context of a handler call: the request's (cancelled
// when the client goes away), the request headers as go-micro metadata
// (with Last-Event-Id set when the client resumes) and lastEventID for
// LastEventID.
func rpcContext(parent context.Context, req *rpcRequest, lastEventID string) context.Context {
	md := make(metadata.Metadata, len(req.header)+1)
	for k, v := range req.header {
		md[k] = v
	}
	delete(md, "Last-Event-Id")
	if lastEventID != "" {
		md[MetadataLastEventID] = lastEventID
	}
	ctx := metadata.NewContext(parent, md)
	return withLastEventID(ctx, lastEventID)
}
