package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Profile is one browser context whose tabs share what the tabs of one
// browser profile share: cookies, storage, Web Locks and BroadcastChannel.
// Each Page that Browser.Open returns has a browser context of its own;
// the tabs of a Profile are opened with Profile.Open.
type Profile struct {
	b  *Browser
	tb testing.TB
	id cdp.BrowserContextID
}

// NewProfile creates a browser context (target.CreateBrowserContext) for
// tb; it is disposed of when tb ends, after its tabs are closed.
func (b *Browser) NewProfile(tb testing.TB) *Profile {
	tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	res, err := cdp.Call(ctx, chromedp.FromContext(b.ctx).Browser, target.CreateBrowserContext, target.CreateBrowserContextParams{})
	if err != nil {
		tb.Fatalf("browsertest: new browser context: %v", err)
	}
	p := &Profile{b: b, tb: tb, id: res.BrowserContextID}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(b.ctx, closeTimeout)
		defer cancel()
		_, _ = cdp.Call(ctx, chromedp.FromContext(b.ctx).Browser, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: p.id})
	})
	return p
}

// Open opens url in a new tab of the profile and waits until the page has
// loaded. Page.Close closes the tab (target.CloseTarget), as a user
// closing it would.
func (p *Profile) Open(tb testing.TB, url string) *Page {
	tb.Helper()
	return p.b.open(tb, url, chromedp.WithExistingBrowserContext(p.id))
}

// OpenBehind opens url in a new tab of the profile in the window of its
// other tabs (Open gives each tab a window of its own): the new tab is in
// front and the one that was is hidden (document.visibilityState
// "hidden"). A hidden tab gets no animation frames: wait in it with
// WaitForEval, not WaitFor. The profile needs a tab opened with Open first.
func (p *Profile) OpenBehind(tb testing.TB, url string) *Page {
	tb.Helper()
	return p.b.open(tb, url, chromedp.WithExistingBrowserContext(p.id), chromedp.WithNewWindow(false))
}

// Crash crashes the tab's renderer (Page.crash), as an out-of-memory kill
// would; the page is gone, the tab stays until Close.
func (p *Page) Crash() {
	p.tb.Helper()
	// The renderer dies before it answers: the call waits for nothing.
	ctx, cancel := context.WithTimeout(p.ctx, min(p.Timeout, 2*time.Second))
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.Crash, cdp.Empty{})
		return err
	}))
	// The renderer dies before it answers: an error is expected here; the
	// test checks what follows through the other tabs.
	_ = err
}

// SetLifecycle freezes ("frozen") or thaws ("active") the tab's page
// (Page.setWebLifecycleState), as the browser does to tabs in the
// background: a frozen page runs no script, timer or event handler.
func (p *Page) SetLifecycle(state page.SetWebLifecycleStateState) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.SetWebLifecycleState, page.SetWebLifecycleStateParams{State: state})
		return err
	}))
	if err != nil {
		p.tb.Fatalf("browsertest: set lifecycle %s: %v", state, err)
	}
}
