package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// openPage opens url in the shared browser, records every fragment htmx's
// SSE extension swaps in (htmx:sseMessage, in window.swapped), and waits
// until n has streams open.
func openPage(t *testing.T, n *node, url string, streams int) *browsertest.Page {
	t.Helper()
	p := browsertest.Shared(t).Open(t, url)
	p.Eval(`(() => {
		window.swapped = [];
		document.body.addEventListener("htmx:sseMessage", e => swapped.push({type: e.detail.type, data: e.detail.data}));
		return typeof htmx === "object" && !!htmx.version;
	})()`, nil)
	ssetest.Eventually(t, "the page's EventSource is open", func() bool { return n.srv.Stats().Subscribers >= streams })
	return p
}

// publishItems publishes one entry per text and returns their item
// fragments.
func publishItems(t *testing.T, n *node, texts ...string) []string {
	t.Helper()
	var out []string
	for _, text := range texts {
		_, frag, err := n.feed.publish(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(frag))
	}
	return out
}

// listed is what the DOM shows of the feed: for each <li>, its number, text
// and how many of the fragment's child elements it holds.
type listed struct {
	ID       string `json:"id"`
	N        string `json:"n"`
	Text     string `json:"text"`
	Children int    `json:"children"`
}

func feedDOM(t *testing.T, p *browsertest.Page) []listed {
	t.Helper()
	var out []listed
	p.Eval(`Array.from(document.querySelectorAll("#feed > li")).map(li => ({
		id: li.id,
		n: li.querySelector(".n")?.textContent ?? "",
		text: li.querySelector(".text")?.textContent ?? "",
		children: li.children.length,
	}))`, &out)
	return out
}

// wantDOM is feedDOM for entries 1..len(texts) published with texts.
func wantDOM(texts ...string) []listed {
	var out []listed
	for i, text := range texts {
		out = append(out, listed{ID: fmt.Sprintf("item-%d", i+1), N: fmt.Sprintf("#%d", i+1), Text: text, Children: 3})
	}
	return out
}

// TestHtmxSwapsMultiLineFragments: each fragment, five lines of HTML on the
// wire, reaches htmx whole (the data htmx swaps is byte for byte the
// fragment published) and the DOM shows every line of it: "item" fragments
// appended to the list, the "status" card replaced by the latest.
func TestHtmxSwapsMultiLineFragments(t *testing.T) {
	n := startTestNode(t)
	p := openPage(t, n, n.URL("/"), 1)

	texts := []string{"first", "second <b>escaped</b>", "third"}
	frags := publishItems(t, n, texts...)
	for _, f := range frags {
		if strings.Count(f, "\n") < 3 {
			t.Fatalf("fragment %q is not multi-line", f)
		}
	}
	p.WaitFor(`document.querySelectorAll("#feed > li").length >= 3 && swapped.length >= 6`, `swapped`)

	if got, want := feedDOM(t, p), wantDOM(texts...); !slices.Equal(got, want) {
		t.Fatalf("the DOM lists\n %+v\nwant\n %+v", got, want)
	}
	var items []string
	p.Eval(`swapped.filter(m => m.type === "item").map(m => m.data)`, &items)
	if !slices.Equal(items, frags) {
		t.Fatalf("htmx swapped\n %q\nwant the fragments as published\n %q", items, frags)
	}
	var card struct {
		Count int    `json:"count"`
		H2    string `json:"h2"`
		P     string `json:"p"`
	}
	p.Eval(`({count: document.querySelectorAll("#status article").length,
		h2: document.querySelector("#status h2")?.textContent,
		p: document.querySelector("#status p")?.textContent})`, &card)
	if card.Count != 1 || card.H2 != "3 published" || card.P != "last: #3 third" {
		t.Fatalf("status card = %+v, want one card for entry 3, every line of it", card)
	}
}

// TestHtmxResumesAfterCut: the browser's connection is cut (both sides
// closed, as by a network or a proxy) and its reconnect held while two
// entries are published. When it gets through, the browser's EventSource
// sends Last-Event-ID and the two entries arrive, then the live one, each
// exactly once and in order.
func TestHtmxResumesAfterCut(t *testing.T) {
	var mu sync.Mutex
	var lastIDs []string // the Last-Event-ID header of each stream opened
	n := startTestNode(t,
		sse.Retry(100*time.Millisecond),
		sse.Heartbeat(20*time.Millisecond), // finds the cut stream soon
		sse.OnSubscribe(func(r *http.Request, _ []string) {
			mu.Lock()
			lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
			mu.Unlock()
		}))
	proxy := startCutProxy(t, n.srv.Options().Address)
	p := openPage(t, n, proxy.URL("/"), 1)

	publishItems(t, n, "before")
	p.WaitFor(`document.querySelectorAll("#feed > li").length >= 1`, `swapped`)

	proxy.cutAndHold()
	ssetest.Eventually(t, "the server saw the stream end", func() bool { return n.srv.Stats().Subscribers == 0 })
	publishItems(t, n, "during 1", "during 2")
	proxy.release()
	ssetest.Eventually(t, "the browser reconnected", func() bool { return n.srv.Stats().Subscribers == 1 })
	publishItems(t, n, "after")
	p.WaitFor(`document.querySelectorAll("#feed > li").length >= 4`, `swapped`)

	if got, want := feedDOM(t, p), wantDOM("before", "during 1", "during 2", "after"); !slices.Equal(got, want) {
		t.Fatalf("the DOM lists\n %+v\nwant\n %+v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lastIDs) != 2 || lastIDs[0] != "" || lastIDs[1] == "" {
		t.Fatalf("Last-Event-ID of the streams: %q, want none, then the id of the last event seen", lastIDs)
	}
}

// TestHtmxTabsShareOneConnection: two tabs of one browser profile on the
// page (htmx through SharedEventSource) hold one stream on the server, and
// each swaps in every fragment whole.
func TestHtmxTabsShareOneConnection(t *testing.T) {
	n := startTestNode(t)
	profile := browsertest.Shared(t).NewProfile(t)
	var tabs []*browsertest.Page
	for range 2 {
		p := profile.Open(t, n.URL("/"))
		p.Eval(`(() => {
			window.swapped = [];
			document.body.addEventListener("htmx:sseMessage", e => swapped.push({type: e.detail.type, data: e.detail.data}));
			return true;
		})()`, nil)
		// htmx keeps the SharedEventSource in the element's internal data.
		p.WaitFor(`document.querySelector("main")["htmx-internal-data"]?.sseEventSource?.readyState === 1`, `document.querySelector("main")["htmx-internal-data"]`)
		tabs = append(tabs, p)
	}
	ssetest.Eventually(t, "a stream open", func() bool { return n.srv.Stats().Endpoint.Open == 1 })
	texts := []string{"one", "two <i>lines</i>", "three"}
	frags := publishItems(t, n, texts...)
	for i, p := range tabs {
		p.WaitFor(`document.querySelectorAll("#feed > li").length >= 3 && swapped.length >= 6`, `swapped`)
		if got, want := feedDOM(t, p), wantDOM(texts...); !slices.Equal(got, want) {
			t.Errorf("tab %d lists\n %+v\nwant\n %+v", i, got, want)
		}
		var items []string
		p.Eval(`swapped.filter(m => m.type === "item").map(m => m.data)`, &items)
		if !slices.Equal(items, frags) {
			t.Errorf("tab %d swapped\n %q\nwant the fragments as published\n %q", i, items, frags)
		}
	}
	if open := n.srv.Stats().Endpoint.Open; open != 1 {
		t.Errorf("the server holds %d streams for 2 tabs, want 1", open)
	}
}
