package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/protoadapt"
)

// What RPC handlers send and answer, as JSON in memory the server owns.
//
// The wire format is that of go-micro's JSON marshaler (its json codec,
// jsonpb.Marshaler{}): a protobuf message as protojson with the JSON field
// names (lowerCamelCase), unpopulated fields left out, enums by name,
// compact, with <, > and & escaped in strings as encoding/json does; any
// other value as encoding/json. It is not go-micro's marshaler itself: that
// one returns the bytes of a pooled buffer after putting the buffer back,
// so another call may overwrite them while the server still holds them.
// Where jsonpb strayed from the proto3 JSON mapping, protojson follows it:
// a FieldMask is its string form ("a.bC,d", not {"paths":[...]}), empty
// bytes in a BytesValue are "" (not null), a google.protobuf.Value holding
// NaN or an infinity is refused, as is a string field that is not UTF-8.

// errNilMessage is returned for a nil protobuf message, which go-micro's
// marshaler refuses too.
var errNilMessage = errors.New("nil protobuf message")

// protoJSON is the protojson form of go-micro's jsonpb.Marshaler{}.
var protoJSON = protojson.MarshalOptions{}

// marshalJSON encodes v as go-micro's JSON marshaler does, into a new
// slice.
func marshalJSON(v any) ([]byte, error) {
	m, ok := v.(protoadapt.MessageV1)
	if !ok {
		return json.Marshal(v)
	}
	if rv := reflect.ValueOf(m); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, errNilMessage
	}
	b, err := protoJSON.Marshal(protoadapt.MessageV2Of(m))
	if err != nil {
		return nil, fmt.Errorf("protojson: %w", err)
	}
	// protojson's output is deliberately unstable (a space after some
	// commas); compacting it, with encoding/json's escaping, gives
	// jsonpb's bytes.
	return json.Marshal(json.RawMessage(b))
}
