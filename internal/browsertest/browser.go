// Package browsertest runs a real headless Chromium for tests, driven by
// chromedp: start a browser, open a page, evaluate JavaScript, wait for a
// condition with a bounded timeout and take a screenshot.
//
// Every test gets its own browser with a fresh profile in t.TempDir(); the
// browser, its tabs and every chromedp goroutine are gone when the test's
// cleanup has run, so goleak stays clean.
//
// When no Chromium is installed the test is skipped with a message, except
// under CI=true, where it fails: CI must run the browser tests.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds every single browser step (an evaluation, a
// navigation, a wait). It is generous on purpose: the tests assert what
// happens, not how fast; the bound only keeps a broken test from hanging.
const DefaultTimeout = 30 * time.Second

// closeTimeout bounds the graceful close of the browser at the end of a test;
// after it the process is killed.
const closeTimeout = 10 * time.Second

// execNames are the programs ExecPath looks for, in order.
var execNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// ErrNoBrowser is returned by ExecPath when no Chromium is installed.
var ErrNoBrowser = errors.New("browsertest: no chromium found in PATH (install Debian's chromium: apt-get install chromium)")

// ExecPath returns the path of the Chromium to run: the BROWSERTEST_CHROMIUM
// environment variable when set, else the first of chromium,
// chromium-browser, google-chrome, google-chrome-stable and headless-shell
// found in PATH, else ErrNoBrowser.
func ExecPath() (string, error) {
	if p := os.Getenv("BROWSERTEST_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range execNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Browser is one headless Chromium owned by one test. Its methods are safe
// for use by the test goroutine; each Page is driven by one goroutine at a
// time.
type Browser struct {
	tb      testing.TB
	dataDir string
	ctx     context.Context // the browser's first tab; its life is the browser's

	mu      sync.Mutex
	done    bool // cleanup started: no more logging to tb
	console []string
}

// Start launches a headless Chromium for tb and registers its shutdown with
// tb.Cleanup. Without Chromium it skips tb, or fails it when the environment
// variable CI is "true".
func Start(tb testing.TB) *Browser {
	tb.Helper()
	path, err := ExecPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%v; CI=true, so the browser tests must run", err)
		}
		tb.Skipf("skipping browser test: %v", err)
	}
	b := &Browser{tb: tb, dataDir: tb.TempDir()}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(b.dataDir),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		// A hidden or occluded tab must keep its timers: EventSource
		// reconnection runs on them.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b.ctx = ctx
	tb.Cleanup(func() {
		b.mu.Lock()
		b.done = true
		b.mu.Unlock()
		cctx, ccancel := context.WithTimeout(ctx, closeTimeout)
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			tb.Logf("browsertest: closing chromium: %v", err)
		}
		ccancel()
		cancel()
		allocCancel() // waits for the process and chromedp's goroutines
		killLeftovers(b.dataDir)
	})
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("browsertest: starting %s: %v", path, err)
	}
	return b
}

// Open opens url in a new tab and waits until the page has loaded. The tab is
// closed by Page.Close or at the end of the test.
func (b *Browser) Open(url string) *Page {
	b.tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(b.listen))
	p := &Page{b: b, ctx: ctx, cancel: cancel, Timeout: DefaultTimeout}
	b.tb.Cleanup(p.Close)
	// Create the tab without a timeout (a timeout on the first Run of a
	// context would close the tab when it expires), then navigate bounded.
	if err := chromedp.Do(ctx); err != nil {
		b.tb.Fatalf("browsertest: new tab: %v", err)
	}
	p.Do(chromedp.Navigate(url))
	return p
}

// listen records console output and uncaught exceptions of every tab, and
// logs them to the test.
func (b *Browser) listen(ev any) {
	var line string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		line = "console." + string(ev.Type) + ":"
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				line += " " + string(a.Value)
			} else {
				line += " " + a.Description
			}
		}
	case *runtime.EventExceptionThrown:
		line = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			line += " " + ev.ExceptionDetails.Exception.Description
		}
	default:
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.console = append(b.console, line)
	b.tb.Log("browser " + line)
}

// Console returns the console lines and uncaught exceptions seen so far in
// every tab of the browser.
func (b *Browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// String names the browser for messages.
func (b *Browser) String() string {
	return fmt.Sprintf("chromium (profile %s)", b.dataDir)
}
