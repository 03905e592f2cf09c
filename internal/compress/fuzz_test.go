package compress

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzStreams splits its input on NUL into frames ("h" and "r" stand for
// the shared heartbeat and reset frames, compressed once and written many
// times), writes them in every encoding and checks each stream decodes to
// exactly the plain frames, cut before its trailer too.
func FuzzStreams(f *testing.F) {
	f.Add([]byte("id: 1\ndata: hello\n\n"))
	f.Add([]byte("h\x00id: 1\ndata: {\"a\":1}\n\n\x00h\x00h\x00r\x00id: 3\ndata: x\n\n"))
	f.Add([]byte("\x00\x00\x00"))
	f.Add(bytes.Repeat([]byte("data: abcabcabcabc\n"), 500))
	f.Add([]byte{0xff, 0xfe, 0, 0x1f, 0x8b, 0, 0x78, 0x9c})
	hb, rs := compress(heartbeat), compress(reset)
	f.Fuzz(func(t *testing.T, in []byte) {
		var frames []*compressed
		for _, p := range bytes.Split(in, []byte{0}) {
			switch string(p) {
			case "h":
				frames = append(frames, hb)
			case "r":
				frames = append(frames, rs)
			default:
				frames = append(frames, compress(p))
			}
		}
		checkStream(t, frames)
	})
}

// FuzzNegotiate checks that Negotiate never picks an encoding the header
// does not accept, nor one not offered, and picks one whenever the header
// accepts an offered encoding more than identity.
func FuzzNegotiate(f *testing.F) {
	for _, h := range []string{"", "gzip, deflate, br, zstd", "gzip, deflate", "*", "*;q=0", "identity;q=0",
		"gzip;q=0, *", "zstd;q=1.0, gzip;q=0.5", "GZIP;Q=0.001", "x-gzip", "gzip;q=1.5", "gzip;q=abc, deflate",
		"identity;q=1, gzip;q=0.5", ";;,,", "br;q=1, gzip;q=0.9, identity;q=0.1"} {
		f.Add(h, uint8(0b111))
	}
	f.Fuzz(func(t *testing.T, header string, mask uint8) {
		var offer []Encoding
		for _, e := range []Encoding{Zstd, Gzip, Deflate} {
			if mask&(1<<e) != 0 {
				offer = append(offer, e)
			}
		}
		got := Negotiate(header, offer)
		var a acceptance
		a.parse(header)
		if got != Identity {
			if !contains(offer, got) {
				t.Fatalf("Negotiate(%q, %v) = %v, not offered", header, offer, got)
			}
			if a.q(got) <= 0 {
				t.Fatalf("Negotiate(%q, %v) = %v, not accepted", header, offer, got)
			}
			lower := strings.ToLower(header)
			if !strings.Contains(lower, got.String()) && !strings.Contains(lower, "*") && !(got == Gzip && strings.Contains(lower, "x-gzip")) {
				t.Fatalf("Negotiate(%q, %v) = %v, never named", header, offer, got)
			}
			return
		}
		for _, e := range offer {
			if q := a.q(e); q > 0 && !(a.named[Identity] && a.qs[Identity] > q) {
				t.Fatalf("Negotiate(%q, %v) = identity, but %v is accepted with q %d", header, offer, e, q)
			}
		}
	})
}

func contains(offer []Encoding, e Encoding) bool {
	for _, o := range offer {
		if o == e {
			return true
		}
	}
	return false
}
