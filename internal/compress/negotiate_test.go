package compress

import "testing"

func TestNegotiate(t *testing.T) {
	all := []Encoding{Gzip, Deflate, Zstd}
	cases := []struct {
		header string
		offer  []Encoding
		want   Encoding
	}{
		{"", all, Identity},
		{"   ", all, Identity},
		{"identity", all, Identity},
		{"br", all, Identity},
		{"gzip, deflate, br, zstd", all, Gzip},                    // Chromium on loopback: the server's order
		{"gzip, deflate, br, zstd", []Encoding{Zstd, Gzip}, Zstd}, // another order of preference
		{"gzip, deflate", []Encoding{Zstd}, Identity},             // Chromium elsewhere: never zstd unasked
		{"deflate, gzip, br, zstd", all, Gzip},                    // curl --compressed
		{"gzip;q=0.5, zstd", all, Zstd},
		{"gzip;q=0, *", all, Deflate},
		{"*", all, Gzip},
		{"*;q=0", all, Identity},
		{"*;q=0, zstd", all, Zstd},
		{"x-gzip", all, Gzip},
		{"GZip", all, Gzip},
		{"gzip;Q=0.001", all, Gzip},
		{"gzip;q=0.000", all, Identity},
		{"gzip;q=0", all, Identity},
		{"gzip, gzip;q=0", all, Identity}, // a refusal anywhere stands
		{"gzip;q=2", all, Identity},       // malformed: ignored
		{"gzip;q=1.001", all, Identity},   // over 1: malformed
		{"gzip;q=0.5x, deflate", all, Deflate},
		{"identity;q=1, gzip;q=0.5", all, Identity},
		{"identity;q=0.5, gzip;q=0.5", all, Gzip},
		{"identity;q=0", all, Identity}, // nothing else accepted: identity all the same
		{"gzip", nil, Identity},         // compression off
		{"gzip", []Encoding{Identity}, Identity},
		{" gzip ; q=0.8 ,deflate;q=0.9", all, Deflate},
		{"gzip;level=9", all, Gzip}, // other parameters ignored
		{",,gzip,,", all, Gzip},
	}
	for _, c := range cases {
		if got := Negotiate(c.header, c.offer); got != c.want {
			t.Errorf("Negotiate(%q, %v) = %v, want %v", c.header, c.offer, got, c.want)
		}
	}
}

func TestParseEncoding(t *testing.T) {
	for _, e := range []Encoding{Identity, Gzip, Deflate, Zstd} {
		if got, ok := ParseEncoding(e.String()); !ok || got != e {
			t.Errorf("ParseEncoding(%q) = %v, %v", e.String(), got, ok)
		}
	}
	if _, ok := ParseEncoding("br"); ok {
		t.Error("ParseEncoding(br) is known")
	}
}
