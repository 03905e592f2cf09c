// Package browsertest runs a real headless Chromium for tests, driven by
// chromedp: start a browser, open a page, evaluate JavaScript, wait for a
// condition with a bounded timeout and take a screenshot.
//
// Start gives a test a browser of its own; Shared gives the tests of a
// package one browser (each test in its own tabs and browser context),
// which saves a browser start per test; TestMain then calls CloseShared
// after m.Run. Each browser has a fresh profile in a temporary directory;
// the browser, its tabs and every chromedp goroutine are gone when it is
// closed, so goleak stays clean.
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds every single browser step (an evaluation, a
// navigation, a wait). It is generous on purpose: the tests assert what
// happens, not how fast; the bound only keeps a broken test from hanging.
const DefaultTimeout = 30 * time.Second

// closeTimeout bounds the graceful close of the browser; after it the
// process is killed.
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
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%w: BROWSERTEST_CHROMIUM: %v", ErrNoBrowser, err)
		}
		return path, nil
	}
	for _, name := range execNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Browser is one headless Chromium. Open may be called from several tests;
// each Page is driven by one goroutine at a time.
type Browser struct {
	dataDir string
	ctx     context.Context // the browser's first tab; its life is the browser's
	close   func()
}

// Start launches a headless Chromium for tb alone and registers its
// shutdown with tb.Cleanup. Without Chromium it skips tb, or fails it when
// the environment variable CI is "true".
func Start(tb testing.TB) *Browser {
	tb.Helper()
	path := execPathOrSkip(tb)
	b, err := launch(path, tb.TempDir(), false)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.close)
	return b
}

// StartThrottled is Start with the browser's background throttling on, as
// a user's browser has it: the timers of hidden tabs (see
// Profile.OpenBehind) run at most once a second.
func StartThrottled(tb testing.TB) *Browser {
	tb.Helper()
	path := execPathOrSkip(tb)
	b, err := launch(path, tb.TempDir(), true)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.close)
	return b
}

// StartResolving is Start with each of hosts resolved to 127.0.0.1
// (Chromium's --host-resolver-rules), so that a page can be served from a
// host name that is not loopback to the browser: Chromium treats
// http://127.0.0.1 and localhost as secure contexts (and offers them more,
// e.g. zstd and br in Accept-Encoding), other plain-http hosts not.
func StartResolving(tb testing.TB, hosts ...string) *Browser {
	tb.Helper()
	path := execPathOrSkip(tb)
	var rules []string
	for _, h := range hosts {
		rules = append(rules, "MAP "+h+" 127.0.0.1")
	}
	b, err := launch(path, tb.TempDir(), false, chromedp.Flag("host-resolver-rules", strings.Join(rules, ",")))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.close)
	return b
}

var shared struct {
	mu      sync.Mutex
	b       *Browser
	err     error
	dataDir string
}

// Shared returns the browser shared by the tests of the package, launching
// it on first use. Without Chromium it skips tb, or fails it when CI is
// "true". The package's TestMain must call CloseShared after m.Run.
func Shared(tb testing.TB) *Browser {
	tb.Helper()
	path := execPathOrSkip(tb)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.b == nil && shared.err == nil {
		dir, err := os.MkdirTemp("", "browsertest-")
		if err == nil {
			shared.dataDir = dir
			shared.b, err = launch(path, dir, false)
		}
		shared.err = err
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.b
}

// CloseShared stops the browser that Shared launched, if any, and removes
// its profile. It is safe to call when Shared was never called.
func CloseShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.b != nil {
		shared.b.close()
	}
	if shared.dataDir != "" {
		os.RemoveAll(shared.dataDir)
	}
	shared.b, shared.err, shared.dataDir = nil, nil, ""
}

// execPathOrSkip returns the Chromium to run, or skips tb (fails it under
// CI=true).
func execPathOrSkip(tb testing.TB) string {
	tb.Helper()
	path, err := ExecPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%v; CI=true, so the browser tests must run", err)
		}
		tb.Skipf("skipping browser test: %v", err)
	}
	return path
}

// launch starts Chromium at path with its profile in dataDir and waits
// until it answers; throttle leaves background throttling on; extra are
// more flags.
func launch(path, dataDir string, throttle bool, extra ...chromedp.ExecAllocatorOption) (*Browser, error) {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dataDir),
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
		// reconnection runs on them (unless throttle).
		chromedp.Flag("disable-background-timer-throttling", !throttle),
		chromedp.Flag("disable-backgrounding-occluded-windows", !throttle),
		chromedp.Flag("disable-renderer-backgrounding", !throttle),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
	}
	opts = append(opts, extra...)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &Browser{dataDir: dataDir, ctx: ctx}
	var once sync.Once
	b.close = func() {
		once.Do(func() {
			cctx, ccancel := context.WithTimeout(ctx, closeTimeout)
			_ = chromedp.Cancel(cctx) // graceful; the kill below covers failures
			ccancel()
			cancel()
			allocCancel() // waits for the process and chromedp's goroutines
			killLeftovers(dataDir)
		})
	}
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		b.close()
		return nil, fmt.Errorf("browsertest: starting %s: %w", path, err)
	}
	return b, nil
}

// String names the browser for messages.
func (b *Browser) String() string {
	return fmt.Sprintf("chromium (profile %s)", b.dataDir)
}
