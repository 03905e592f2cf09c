package browsertest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

const testPage = `<!doctype html><meta charset="utf-8"><title>t</title>
<body><p id="p">ünïcode</p><script>
setTimeout(function () { document.getElementById("p").dataset.ready = "yes"; }, 200);
console.log("hello from the page");
</script></body>`

func testServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, testPage)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// exercise opens the test page in b and checks Eval, WaitFor, TryEval,
// Screenshot and Console.
func exercise(t *testing.T, b *Browser, url string) {
	p := b.Open(t, url)
	var text string
	p.Eval(`document.getElementById("p").textContent`, &text)
	if text != "ünïcode" {
		t.Fatalf("text = %q, want %q", text, "ünïcode")
	}
	var sum int
	p.Eval(`Promise.resolve(40).then(x => x + 2)`, &sum)
	if sum != 42 {
		t.Fatalf("awaited promise = %d, want 42", sum)
	}
	p.WaitFor(`document.getElementById("p").dataset.ready === "yes"`, `document.body.innerHTML`)
	if err := p.TryEval(`throw new Error("boom")`, nil); err == nil {
		t.Fatal("TryEval of a throwing expression returned no error")
	}

	shot := filepath.Join(t.TempDir(), "shot.png")
	p.Screenshot(shot)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 1000 {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
	}
	p.WaitFor(`true`, "")
	found := false
	for _, line := range p.Console() {
		if strings.Contains(line, "hello from the page") {
			found = true
		}
	}
	if !found {
		t.Errorf("console lines %q lack the page's log", p.Console())
	}
}

func TestStart(t *testing.T) {
	srv := testServer(t)
	var dataDir string
	t.Run("browser", func(t *testing.T) {
		b := Start(t)
		dataDir = b.dataDir
		exercise(t, b, srv.URL)
	})
	if dataDir == "" {
		return // skipped: no chromium
	}
	if n := killUsing([]byte("--user-data-dir=" + dataDir)); n != 0 {
		t.Fatalf("%d chromium processes outlived the test", n)
	}
}

func TestShared(t *testing.T) {
	srv := testServer(t)
	b1 := Shared(t)
	t.Run("first", func(t *testing.T) { exercise(t, Shared(t), srv.URL) })
	t.Run("second", func(t *testing.T) {
		if Shared(t) != b1 {
			t.Fatal("Shared launched a second browser")
		}
		// Each page has a browser context of its own: storage does not leak.
		p := b1.Open(t, srv.URL)
		p.Eval(`localStorage.setItem("k", "v"), true`, nil)
		q := b1.Open(t, srv.URL)
		var v *string
		q.Eval(`localStorage.getItem("k")`, &v)
		if v != nil {
			t.Errorf("a second page sees the first one's storage: %q", *v)
		}
	})
}

func TestExecPathOverride(t *testing.T) {
	t.Setenv("BROWSERTEST_CHROMIUM", "/nonexistent/chromium")
	if _, err := ExecPath(); !errors.Is(err, ErrNoBrowser) {
		t.Fatalf("ExecPath with a missing BROWSERTEST_CHROMIUM: %v, want ErrNoBrowser", err)
	}
}
