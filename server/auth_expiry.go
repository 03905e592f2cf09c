package server

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"go-micro.dev/v4/auth"
)

// A stream opened with a token that expires is ended when it expires (one
// timer per such stream, stopped when the stream ends): the browser gets a
// last event of type "sse-error" with the go-micro error
// {"id":"sse","code":401,"detail":"token expired","status":"Unauthorized"}
// and no id (its Last-Event-ID stays the last event's), then the response
// ends. EventSource reconnects once after the retry delay: with a renewed
// token (a cookie) the stream resumes where it was; with the expired one
// the request is refused with 401 and EventSource stops for good (no
// reconnect loop). A page that refreshes tokens itself listens for
// "sse-error", closes the EventSource and opens a new one with the new
// token and ?lastEventId=<its last id>.

// JWTExpiry is the default ExpiryFunc: the "exp" claim (seconds since
// 1970, RFC 7519) of a JWT, read without checking the signature (Inspect
// has checked the token); the zero time for a token that is not a JWT or
// has no exp.
func JWTExpiry(token string, _ *auth.Account) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == "" {
		return time.Time{}
	}
	f, err := claims.Exp.Float64()
	if err != nil || f <= 0 {
		return time.Time{}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}

// watchExpiry ends s when its token expires (expiry zero: never).
func (e *endpoint) watchExpiry(s *stream, expiry time.Time) {
	if expiry.IsZero() {
		return
	}
	t := time.AfterFunc(time.Until(expiry), func() {
		s.expired.Store(true)
		s.Sub.Close() // its writer wakes, drains nothing, writes endFrame and ends it
	})
	s.stopExpiry = t.Stop
}
