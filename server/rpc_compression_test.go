package server_test

import (
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRPCStreamCompressed: an RPC stream asked for gzip or deflate comes
// in it (Vary, Content-Encoding) and decodes, trailer verified by Go's
// readers at the end event, to exactly the uncompressed stream.
func TestRPCStreamCompressed(t *testing.T) {
	svc, _, _ := startGreeter(t)
	u := streamURL(svc, StreamRequest{Name: "Ann", Count: 5})
	var plain string
	for _, accept := range []string{"", "gzip", "deflate", "br, gzip;q=0.5"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true, DisableKeepAlives: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"": "", "gzip": "gzip", "deflate": "deflate", "br, gzip;q=0.5": "gzip"}[accept]
		if ce := resp.Header.Get("Content-Encoding"); ce != want || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("Accept-Encoding %q: Content-Encoding %q, Vary %q", accept, ce, resp.Header.Get("Vary"))
		}
		var body io.Reader = resp.Body
		switch want {
		case "gzip":
			body, err = gzip.NewReader(body)
		case "deflate":
			body, err = zlib.NewReader(body)
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("Accept-Encoding %q: %v after %q", accept, err, b)
		}
		if accept == "" {
			plain = string(b)
			if !strings.Contains(plain, "event: sse-end") {
				t.Fatalf("no end event in %q", plain)
			}
		} else if string(b) != plain {
			t.Fatalf("Accept-Encoding %q decoded\n%q\nplain\n%q", accept, b, plain)
		}
	}
}
