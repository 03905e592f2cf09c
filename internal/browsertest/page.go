package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// Page is one browser tab. Its methods fail the test (tb.Fatal) on error, so
// they must be called from the test goroutine.
type Page struct {
	// Timeout bounds each step on the page; DefaultTimeout unless changed.
	Timeout time.Duration

	b      *Browser
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
}

// Do runs chromedp actions on the page, bounded by p.Timeout.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.b.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.b.tb.Fatalf("browsertest: %v", err)
	}
}

// Eval evaluates the JavaScript expression and decodes its JSON value into
// out (out may be nil to ignore the value). A promise is awaited.
func (p *Page) Eval(expr string, out any) {
	p.b.tb.Helper()
	if err := p.TryEval(expr, out); err != nil {
		p.b.tb.Fatalf("browsertest: eval %q: %v", expr, err)
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
	p.b.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(25*time.Millisecond),
		chromedp.WithPollingTimeout(p.Timeout)))
	if err == nil {
		return
	}
	msg := fmt.Sprintf("browsertest: waiting for %s: %v", expr, err)
	if debug != "" {
		var v any
		if derr := p.TryEval(debug, &v); derr != nil {
			msg += fmt.Sprintf("\n%s: (%v)", debug, derr)
		} else {
			b, _ := json.MarshalIndent(v, "", "  ")
			msg += fmt.Sprintf("\n%s = %s", debug, b)
		}
	}
	p.b.tb.Fatal(msg)
}

// Screenshot writes a PNG of the whole page to path.
func (p *Page) Screenshot(path string) {
	p.b.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.b.tb.Fatalf("browsertest: screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.b.tb.Fatalf("browsertest: screenshot: %v", err)
	}
}

// Close closes the tab; idempotent. The test's cleanup calls it too.
func (p *Page) Close() {
	p.once.Do(p.cancel)
}
