package server

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"testing"
)

// fuzzRequest has a field of each kind query fields convert.
type fuzzRequest struct {
	Name   string            `json:"name"`
	Count  int               `json:"count"`
	Ratio  float64           `json:"ratio"`
	On     bool              `json:"on"`
	Tags   []string          `json:"tags"`
	IDs    []uint32          `json:"ids"`
	Extra  map[string]string `json:"extra"`
	Hidden string            `json:"-"`
}

// FuzzQueryFieldsJSON: any query either converts into a JSON object that
// decodes into the request type (but for an object field given JSON of
// another shape), with every field it names as given, or is refused with
// an error; never a panic.
func FuzzQueryFieldsJSON(f *testing.F) {
	for _, seed := range []string{
		"name=Ann&count=3", "tags=a&tags=b&ids=1&ids=2", "ratio=1.5&on=true", `extra={"a":"b"}`,
		"count=x", "NAME=caps&Hidden=no", "extra=not-json", "req=1&lastEventId=2", "%zz=1", "",
	} {
		f.Add(seed)
	}
	typ := reflect.TypeFor[*fuzzRequest]()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		b, err := queryFieldsJSON(q, map[string]bool{"lastEventId": true}, typ)
		if err != nil {
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatalf("%q gave %s, not a JSON object: %v", raw, b, err)
		}
		var got fuzzRequest
		if err := json.Unmarshal(b, &got); err != nil {
			if _, raw := obj["extra"]; raw { // an object field takes JSON as given: its type may not fit
				return
			}
			t.Fatalf("%q gave %s, which does not decode: %v", raw, b, err)
		}
		if got.Hidden != "" {
			t.Fatalf("%q set a json:\"-\" field: %s", raw, b)
		}
		if v, ok := q["name"]; ok && len(v) > 0 && got.Name != v[len(v)-1] {
			t.Fatalf("%q: name %q, want %q", raw, got.Name, v[len(v)-1])
		}
		if v, ok := q["tags"]; ok && len(v) > 0 && fmt.Sprint(got.Tags) != fmt.Sprint(v) {
			t.Fatalf("%q: tags %q, want %q", raw, got.Tags, v)
		}
	})
}

// FuzzJWTExpiry: a token's exp claim is read back exactly; anything else
// gives the zero time or a time, never a panic.
func FuzzJWTExpiry(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	f.Add(enc([]byte(`{"alg":"RS256"}`))+"."+enc([]byte(`{"exp":1700000000,"sub":"a"}`))+".sig", int64(1700000000))
	f.Add("not a jwt", int64(0))
	f.Add("a.b.c", int64(-1))
	f.Add(".."+enc([]byte(`{"exp":"soon"}`)), int64(5))
	f.Fuzz(func(t *testing.T, token string, exp int64) {
		_ = JWTExpiry(token, nil)
		if exp <= 0 || exp > 1<<40 {
			return
		}
		made := enc([]byte(`{}`)) + "." + enc(fmt.Appendf(nil, `{"exp":%d}`, exp)) + "." + enc([]byte(token))
		if got := JWTExpiry(made, nil); got.Unix() != exp {
			t.Fatalf("exp %d read as %v", exp, got)
		}
	})
}
