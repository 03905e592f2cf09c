package contract

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParsePublish(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  Publish
		ok    bool
	}{
		{"n=200&rate=100&size=100", Publish{200, 100, 100}, true},
		{"n=1&rate=1", Publish{1, 1, 0}, true},
		{"n=0&rate=1", Publish{}, false},
		{"rate=1", Publish{}, false},
		{"n=1", Publish{}, false},
		{"n=1000001&rate=1", Publish{}, false},
		{"n=1&rate=100001", Publish{}, false},
		{"n=1&rate=1&size=-1", Publish{}, false},
		{"n=1&rate=1&size=1048577", Publish{}, false},
		{"n=x&rate=1", Publish{}, false},
	} {
		got, err := ParsePublish(httptest.NewRequest("POST", "/publish?"+tc.query, nil))
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("%s: %+v, %v; want %+v, ok %v", tc.query, got, err, tc.want, tc.ok)
		}
	}
}

func TestAppendData(t *testing.T) {
	now := time.Unix(1, 5)
	if got := string(AppendData(nil, now, 0)); got != "1000000005" {
		t.Errorf("size 0: %q", got)
	}
	if got := string(AppendData(nil, now, 3)); got != "1000000005 xxx" {
		t.Errorf("size 3: %q", got)
	}
}

func TestPublisher(t *testing.T) {
	got := make(chan string, 3)
	p := NewPublisher(t.Context(), func(b []byte) error { got <- string(b); return nil })
	w := httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest("POST", "/publish?n=3&rate=1000&size=2", nil))
	if w.Code != 202 {
		t.Fatalf("status %d", w.Code)
	}
	for range 3 {
		if d := <-got; !strings.HasSuffix(d, " xx") {
			t.Fatalf("data %q", d)
		}
	}
	w = httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest("GET", "/publish?n=3&rate=1000", nil))
	if w.Code != 405 {
		t.Fatalf("GET: status %d", w.Code)
	}
}
