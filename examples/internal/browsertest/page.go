package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Page is one browser tab of one test, in a browser context of its own
// (its own cookies and cache). Its methods fail the test (tb.Fatal) on
// error, so they must be called from the test goroutine.
type Page struct {
	// Timeout bounds each step on the page; DefaultTimeout unless changed.
	Timeout time.Duration

	tb     testing.TB
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once

	mu      sync.Mutex
	closed  bool // no more logging to tb
	console []string
}

// Open opens url in a new tab for tb and waits until the page has loaded.
// The tab is closed by Page.Close or when tb ends.
func (b *Browser) Open(tb testing.TB, url string) *Page {
	tb.Helper()
	return b.open(tb, url, chromedp.WithNewBrowserContext())
}

// open opens url in a new tab made with opts (its browser context).
func (b *Browser) open(tb testing.TB, url string, opts ...chromedp.ContextOption) *Page {
	tb.Helper()
	p := &Page{tb: tb, Timeout: DefaultTimeout}
	p.ctx, p.cancel = chromedp.NewContext(b.ctx, append(opts, chromedp.WithListener(p.listen))...)
	tb.Cleanup(p.Close)
	// Create the tab without a timeout (a timeout on the first Run of a
	// context would close the tab when it expires), then navigate bounded.
	if err := chromedp.Do(p.ctx); err != nil {
		tb.Fatalf("browsertest: new tab: %v", err)
	}
	p.Do(chromedp.Navigate(url))
	return p
}

// listen records the tab's console output and uncaught exceptions and logs
// them to the test.
func (p *Page) listen(ev any) {
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.console = append(p.console, line)
	p.tb.Log("browser " + line)
}

// Console returns the console lines and uncaught exceptions of the tab so
// far.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// Do runs chromedp actions on the page, bounded by p.Timeout.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.tb.Fatalf("browsertest: %v", err)
	}
}

// Eval evaluates the JavaScript expression and decodes its JSON value into
// out (out may be nil to ignore the value). A promise is awaited.
func (p *Page) Eval(expr string, out any) {
	p.tb.Helper()
	if err := p.TryEval(expr, out); err != nil {
		p.tb.Fatalf("browsertest: eval %q: %v", expr, err)
	}
}

// TryEval is Eval that returns the error instead of failing the test.
func (p *Page) TryEval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decoding %s: %w", raw, err)
	}
	return nil
}

// WaitFor waits until the JavaScript expression is truthy, polling every
// 25ms, for at most p.Timeout; then the test fails with the expression and
// the value of debug (a JavaScript expression evaluated for the message; may
// be empty).
func (p *Page) WaitFor(expr, debug string) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(25*time.Millisecond),
		chromedp.WithPollingTimeout(p.Timeout)))
	if err == nil {
		return
	}
	msg := fmt.Sprintf("browsertest: waiting for %s: %v", expr, err)
	p.fail(msg, debug)
}

// fail ends the test with msg and, unless debug is empty, what debug
// evaluates to in the page.
func (p *Page) fail(msg, debug string) {
	p.tb.Helper()
	if debug != "" {
		var v any
		if derr := p.TryEval(debug, &v); derr != nil {
			msg += fmt.Sprintf("\n%s: (%v)", debug, derr)
		} else {
			b, _ := json.MarshalIndent(v, "", "  ")
			msg += fmt.Sprintf("\n%s = %s", debug, b)
		}
	}
	p.tb.Fatal(msg)
}

// WaitForEval is WaitFor for hidden tabs: it evaluates expr every 50ms
// from the test instead of polling in the page, which needs animation
// frames that a hidden tab does not get.
func (p *Page) WaitForEval(expr, debug string) {
	p.tb.Helper()
	deadline := time.Now().Add(p.Timeout)
	var err error
	for time.Now().Before(deadline) {
		var ok bool
		if err = p.TryEval("!!("+expr+")", &ok); err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	msg := fmt.Sprintf("browsertest: waiting for %s: not true within %v (%v)", expr, p.Timeout, err)
	p.fail(msg, debug)
}

// Screenshot writes a PNG of the whole page to path.
func (p *Page) Screenshot(path string) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.tb.Fatalf("browsertest: screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.tb.Fatalf("browsertest: screenshot: %v", err)
	}
}

// Close closes the tab and its browser context and waits for it; it is
// idempotent. The test's cleanup calls it too.
func (p *Page) Close() {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cancel()
	})
}
