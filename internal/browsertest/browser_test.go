package browsertest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}

const testPage = `<!doctype html><meta charset="utf-8"><title>t</title>
<body><p id="p">ünïcode</p><script>
window.ticks = 0;
setTimeout(function () { document.getElementById("p").dataset.ready = "yes"; }, 200);
console.log("hello from the page");
</script></body>`

func TestBrowserOpenEvalWaitScreenshot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, testPage)
	}))
	defer srv.Close()

	var dataDir string
	t.Run("browser", func(t *testing.T) {
		b := Start(t)
		dataDir = b.dataDir
		p := b.Open(srv.URL)

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
		for _, line := range b.Console() {
			if bytes.Contains([]byte(line), []byte("hello from the page")) {
				found = true
			}
		}
		if !found {
			t.Errorf("console lines %q lack the page's log", b.Console())
		}
	})
	if dataDir == "" {
		return // skipped: no chromium
	}
	if n := killUsing([]byte("--user-data-dir=" + dataDir)); n != 0 {
		t.Fatalf("%d chromium processes outlived the test", n)
	}
}

func TestExecPathOverride(t *testing.T) {
	t.Setenv("BROWSERTEST_CHROMIUM", "/nonexistent/chromium")
	if _, err := ExecPath(); err == nil {
		t.Fatal("ExecPath accepted a missing BROWSERTEST_CHROMIUM")
	}
}
