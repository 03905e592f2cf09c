package compress

import "strings"

// Negotiate returns the encoding to write a response in for a request whose
// Accept-Encoding header is header (its values joined with ", " when it came
// more than once), choosing among offer, which lists the server's encodings
// in its order of preference (Identity in it is ignored).
//
// An encoding is chosen only when the client accepts it: named with a
// q-value above 0 ("x-gzip" counts as gzip), or covered by "*" with a
// q-value above 0 and not named. Among those, the highest q-value wins, and
// among equal q-values the earliest in offer. Identity is chosen when the
// header is absent or empty, when no offered encoding is accepted, or when
// the client names identity with a q-value higher than every accepted
// encoding's. A client that refuses identity too ("identity;q=0", or "*;q=0"
// without identity) and accepts nothing offered still gets identity: an
// event stream answered with 406 is never retried by a browser.
// Malformed elements (a q-value that is no number from 0 to 1) are ignored.
func Negotiate(header string, offer []Encoding) Encoding {
	var accept acceptance
	accept.parse(header)
	best, bestQ := Identity, 0
	for _, e := range offer {
		if e == Identity || e >= numEncodings {
			continue
		}
		if q := accept.q(e); q > bestQ {
			best, bestQ = e, q
		}
	}
	if best != Identity && accept.named[Identity] && accept.qs[Identity] > bestQ {
		return Identity
	}
	return best
}

// acceptance is what one Accept-Encoding header says of each encoding:
// q-values in thousandths.
type acceptance struct {
	qs      [numEncodings]int  // q-value of each encoding named
	named   [numEncodings]bool // whether the encoding is named
	star    int                // q-value of "*"
	hasStar bool
}

// q returns the q-value (in thousandths) the client gives e: its own when
// named, else that of "*", else 0.
func (a *acceptance) q(e Encoding) int {
	switch {
	case a.named[e]:
		return a.qs[e]
	case a.hasStar:
		return a.star
	}
	return 0
}

// parse reads header's elements. A coding named twice keeps its lowest
// q-value, so a refusal anywhere stands.
func (a *acceptance) parse(header string) {
	for header != "" {
		var elem string
		elem, header, _ = strings.Cut(header, ",")
		name, params, _ := strings.Cut(elem, ";")
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		q, ok := parseWeight(params)
		if !ok {
			continue
		}
		if name == "*" {
			if !a.hasStar || q < a.star {
				a.star, a.hasStar = q, true
			}
			continue
		}
		e, known := ParseEncoding(name)
		if !known {
			continue
		}
		if !a.named[e] || q < a.qs[e] {
			a.qs[e], a.named[e] = q, true
		}
	}
}

// parseWeight returns the q-value, in thousandths, of an element's
// parameters (what follows its first ';'): 1000 when there is none, false
// when q is malformed. Parameters other than q are ignored.
func parseWeight(params string) (int, bool) {
	q := 1000
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		key, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(key), "q") {
			continue
		}
		v, ok := parseQValue(strings.TrimSpace(value))
		if !ok {
			return 0, false
		}
		q = v
	}
	return q, true
}

// parseQValue parses RFC 9110's qvalue ("0" to "1", at most three
// decimals) into thousandths.
func parseQValue(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	whole := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return whole, true
	}
	if s[1] != '.' {
		return 0, false
	}
	frac, scale := 0, 100
	for _, c := range s[2:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		frac += int(c-'0') * scale
		scale /= 10
	}
	if whole == 1000 && frac != 0 {
		return 0, false
	}
	return whole + frac, true
}
