package server

import (
	"bytes"
	"math"
	"testing"
	"time"
	"unicode/utf8"

	mjson "go-micro.dev/v4/codec/json"
	merrors "go-micro.dev/v4/errors"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// goMicroJSON is what go-micro's JSON marshaler gives for v, copied at
// once (one goroutine: nobody else takes its pooled buffer meanwhile).
func goMicroJSON(v any) ([]byte, error) {
	b, err := mjson.Marshaler{}.Marshal(v)
	return bytes.Clone(b), err
}

// sameAsGoMicro fails t unless marshalJSON gives go-micro's bytes for v.
func sameAsGoMicro(t *testing.T, v any) {
	t.Helper()
	want, wantErr := goMicroJSON(v)
	got, err := marshalJSON(v)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("%T %v: marshalJSON = %s, %v; go-micro = %s, %v", v, v, got, err, want, wantErr)
	}
}

// TestMarshalJSONIsGoMicrosWireFormat: the server's own JSON encoding gives
// byte for byte what go-micro's JSON marshaler gave, for protobuf messages
// (field names, well-known types, escaping, numbers) and other values.
func TestMarshalJSONIsGoMicrosWireFormat(t *testing.T) {
	inner, _ := anypb.New(wrapperspb.String("in <any>"))
	st, _ := structpb.NewStruct(map[string]any{"b": true, "n": 1.5e300, "s": "a&b", "l": []any{1, "x", nil}, "o": map[string]any{"k": -0.000001}})
	for _, v := range []any{
		&merrors.Error{Id: "svc", Code: 409, Detail: "<b>&\u2028\u2029 \"q\" \\ é \x7f", Status: "Conflict"},
		&merrors.Error{}, // unpopulated fields left out: {}
		wrapperspb.String("s01-002944"), wrapperspb.String(""),
		wrapperspb.Bool(true), wrapperspb.Int32(-7), wrapperspb.UInt32(7),
		wrapperspb.Int64(math.MinInt64), wrapperspb.UInt64(math.MaxUint64),
		wrapperspb.Double(0.1), wrapperspb.Double(1e21), wrapperspb.Double(1e-7), wrapperspb.Double(math.Inf(-1)), wrapperspb.Double(math.NaN()),
		wrapperspb.Float(3.4e38), wrapperspb.Float(1.0 / 3),
		wrapperspb.Bytes([]byte{0xff, 0, 0xfe}),
		st, structpb.NewNullValue(), structpb.NewListValue(&structpb.ListValue{}),
		timestamppb.New(time.Date(2026, 12, 7, 3, 4, 5, 120000000, time.UTC)), timestamppb.New(time.Unix(0, 0)),
		durationpb.New(-1500 * time.Millisecond), durationpb.New(3 * time.Nanosecond),
		inner, &emptypb.Empty{},
		map[string]string{"lastEventId": "3"}, struct {
			Msg string `json:"msg"`
			N   int    `json:"n,omitempty"`
		}{"<hi>", 0}, "text", 12, nil,
	} {
		sameAsGoMicro(t, v)
	}
	if _, err := marshalJSON((*wrapperspb.StringValue)(nil)); err == nil {
		t.Fatal("a nil message encoded without an error, go-micro refuses it")
	}
	// Where go-micro's jsonpb strayed from the proto3 JSON mapping,
	// protojson follows it (the README's wire format notes).
	for _, c := range []struct {
		v    any
		want string // "" for an error
	}{
		{&fieldmaskpb.FieldMask{Paths: []string{"a.b_c", "d"}}, `"a.bC,d"`}, // go-micro: {"paths":["a.b_c","d"]}
		{wrapperspb.Bytes(nil), `""`},                                       // go-micro: null
		{structpb.NewNumberValue(math.Inf(1)), ""},                          // go-micro: "Infinity", which reads back as a string
	} {
		got, err := marshalJSON(c.v)
		if string(got) != c.want || (err != nil) != (c.want == "") {
			t.Errorf("%T %v: marshalJSON = %s, %v; want %s", c.v, c.v, got, err, c.want)
		}
	}
}

// FuzzMarshalJSON: for any string, number and bytes, the server's JSON of
// protobuf messages holding them is go-micro's, byte for byte, but where
// the test above shows protojson differs (no bytes, a google.protobuf.Value
// that is not finite); a string that is not UTF-8 (which protobuf does not
// allow in a string field) is refused with an error instead.
func FuzzMarshalJSON(f *testing.F) {
	f.Add("s00-000001", 1.5, int64(3), []byte("x"))
	f.Add("<script>&\u2028", math.Inf(1), int64(math.MinInt64), []byte{0xff})
	f.Add("\x00\x1f\"\\", -0.0, int64(-1), []byte(nil))
	f.Add("bad \xff utf-8", 1e21, int64(1)<<53+1, []byte{})
	f.Fuzz(func(t *testing.T, s string, x float64, n int64, b []byte) {
		sameAsGoMicro(t, map[string]any{s: x, "n": n, "b": b})
		sameAsGoMicro(t, wrapperspb.Double(x))
		sameAsGoMicro(t, wrapperspb.Float(float32(x)))
		sameAsGoMicro(t, wrapperspb.Int64(n))
		if len(b) > 0 {
			sameAsGoMicro(t, wrapperspb.Bytes(b))
		}
		if !utf8.ValidString(s) {
			if got, err := marshalJSON(wrapperspb.String(s)); err == nil {
				t.Fatalf("%q: a string that is not UTF-8 encoded as %s", s, got)
			}
			return
		}
		sameAsGoMicro(t, &merrors.Error{Id: s, Code: int32(n), Detail: s, Status: s})
		sameAsGoMicro(t, wrapperspb.String(s))
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			st, err := structpb.NewStruct(map[string]any{s: s, "x": x, "l": []any{x, s}})
			if err != nil {
				t.Fatal(err)
			}
			sameAsGoMicro(t, st)
		}
	})
}
