package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestBrowserReceivesInOrder: the page's real EventSource gets every event
// published through the go-micro broker, in publish order, each with an id.
func TestBrowserReceivesInOrder(t *testing.T) {
	n := startTestNode(t, config{})
	p := openDemo(t, n, "stream=order")

	var want []string
	for i := 1; i <= 50; i++ {
		want = append(want, fmt.Sprintf(`{"n":%d}`, i))
		publish(t, n, "order", "", want[i-1])
	}
	p.WaitFor(`demo.events.length >= 50`, `demo.events.length`)
	if got := eventData(t, p); !slices.Equal(got, want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
	var ids []string
	p.Eval(`demo.events.map(e => e.id)`, &ids)
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("ids %q: empty or repeated", ids)
		}
		seen[id] = true
	}
}

// TestBrowserNamedEvents: an event with a type reaches the listeners of that
// type (addEventListener), never onmessage-style "message" listeners, and an
// event of a type nobody listens to is not seen.
func TestBrowserNamedEvents(t *testing.T) {
	n := startTestNode(t, config{})
	p := openDemo(t, n, "stream=named&types=alpha")
	// A second, bare EventSource in the same page: listeners only.
	p.Eval(`(() => {
		window.seen = {alpha: [], message: [], beta: []};
		const es = new EventSource("events?stream=named");
		window.bare = es;
		for (const type of ["alpha", "message"]) {
			es.addEventListener(type, e => seen[type].push(e.data));
		}
		es.onmessage = e => seen.message.push("onmessage:" + e.data);
		return new Promise(resolve => { es.onopen = () => resolve(true); });
	})()`, nil)

	publish(t, n, "named", "alpha", "a1")
	publish(t, n, "named", "beta", "b1") // nobody listens to beta
	publish(t, n, "named", "", "m1")
	publish(t, n, "named", "alpha", "a2")
	p.WaitFor(`seen.alpha.length >= 2 && seen.message.length >= 2 && demo.events.length >= 3`,
		`[seen, demo.events]`)

	var seen map[string][]string
	p.Eval(`seen`, &seen)
	if want := []string{"a1", "a2"}; !slices.Equal(seen["alpha"], want) {
		t.Errorf("alpha listener got %q, want %q", seen["alpha"], want)
	}
	if want := []string{"m1", "onmessage:m1"}; !slices.Equal(seen["message"], want) {
		t.Errorf("message listeners got %q, want %q", seen["message"], want)
	}
	var typed []string
	p.Eval(`demo.events.map(e => e.type + ":" + e.data)`, &typed)
	if want := []string{"alpha:a1", "message:m1", "alpha:a2"}; !slices.Equal(typed, want) {
		t.Errorf("page listed %q, want %q", typed, want)
	}
	p.Eval(`bare.close()`, nil)
}

// TestBrowserResumesAfterCut: the server cuts the stream of a browser that
// fell further behind than the history (20 events) reaches; the node keeps
// running, publishing goes on. The browser reconnects by itself after the
// retry the server sent, with the id of the last event it got as
// Last-Event-ID; its events after that id are gone, so it gets the sse-reset
// event (evicted) in their place, then exactly what the history holds and
// what follows: what the page lists is a prefix of what was published, the
// reset, then a suffix of it.
func TestBrowserResumesAfterCut(t *testing.T) {
	// Chromium's default reconnection delay is 3s; a longer retry from the
	// server shows that the browser honours it.
	const retry = 4 * time.Second
	const history = 20
	var log requestLog
	n := startTestNode(t, config{SSE: []server.Option{
		sse.Retry(retry),
		log.option(),
	}, Broker: []mbroker.Option{
		// A burst published faster than the browser reads leaves the
		// history behind it: the stream is cut. The broker owns the hub.
		ssebroker.MaxHistoryEvents(history),
	}})
	h := n.broker.(hub.Provider).SSEHub()
	p := openDemo(t, n, "stream=cut")

	var want []string
	pub := func() {
		want = append(want, fmt.Sprintf("event %d", len(want)+1))
		publish(t, n, "cut", "", want[len(want)-1])
	}
	for range 5 { // one by one: the browser keeps up
		pub()
		p.WaitFor(fmt.Sprintf(`demo.events.length >= %d`, len(want)), `demo.events`)
	}
	cut0 := h.Stats().CutOffSlow
	for burst := 0; h.Stats().CutOffSlow == cut0; burst++ {
		if burst == 50 {
			t.Fatalf("50 bursts of 100 events did not cut the stream off")
		}
		for range 100 {
			pub()
		}
	}
	for range 5 { // publishing goes on while the browser is away
		pub()
	}
	p.WaitFor(`demo.resets.length >= 1 && demo.state === "open"`, `[demo.events.length, demo.states]`)
	for range 3 { // and after it is back
		pub()
	}
	p.WaitFor(fmt.Sprintf(`demo.events.length > 0 && demo.events[demo.events.length-1].data === %q`, want[len(want)-1]),
		`[demo.events.length, demo.states]`)

	var info struct {
		Opens, Errors      int
		OpenTimes, Errors_ []float64
		LastOnFirst        string
		ResetAt            int // index of the reset among the events
		Reason, ResetLast  string
	}
	p.Eval(`({Opens: demo.opens, Errors: demo.errors, OpenTimes: demo.openTimes, Errors_: demo.errorTimes,
		LastOnFirst: demo.events.filter(e => e.conn === 1).map(e => e.id).pop(),
		ResetAt: demo.events.findIndex(e => e.type === "sse-reset"),
		Reason: demo.resets[0].reason, ResetLast: demo.resets[0].lastEventId})`, &info)
	got := eventData(t, p)
	k := info.ResetAt
	if k < 5 || k > len(got) || !slices.Equal(got[:k], want[:k]) {
		t.Fatalf("before the reset (at %d) the page has not a prefix of what was published (first difference at %d)", k, firstDiff(got, want))
	}
	suffix := got[k:]
	if len(suffix) < history || !slices.Equal(suffix, want[len(want)-len(suffix):]) {
		t.Fatalf("after the reset the page has %d events, not the newest ones published in order", len(suffix))
	}
	if info.Reason != codec.ResetEvicted || info.ResetLast != info.LastOnFirst {
		t.Errorf("reset reason %q lastEventId %q, want %q and %q", info.Reason, info.ResetLast, codec.ResetEvicted, info.LastOnFirst)
	}
	if info.Opens < 2 || info.Errors < 1 {
		t.Fatalf("opens %d, errors %d: the stream was not cut and reopened", info.Opens, info.Errors)
	}
	// The browser waited the server's retry before reconnecting.
	gap := time.Duration((info.OpenTimes[1] - info.Errors_[0]) * float64(time.Millisecond))
	if gap < retry-100*time.Millisecond {
		t.Errorf("reconnected %v after the cut, before the retry of %v", gap, retry)
	}
	// The reconnect carried the id of the last event of the first stream.
	ids := log.ids()
	if len(ids) < 2 || ids[0] != "" || ids[1] != info.LastOnFirst {
		t.Errorf("Last-Event-ID of the requests: %q, want \"\" then %q", ids, info.LastOnFirst)
	}
}

// TestBrowserComesBackAfterRestart: the node is stopped and a new one
// starts on the same address; the browser reconnects by itself, the new run
// cannot place its Last-Event-ID (another epoch) and the page shows the
// sse-reset event, then live events flow again.
func TestBrowserComesBackAfterRestart(t *testing.T) {
	opts := []server.Option{sse.Retry(300 * time.Millisecond)}
	n1 := startTestNode(t, config{SSE: opts})
	p := openDemo(t, n1, "stream=restart")
	publish(t, n1, "restart", "", "before 1")
	publish(t, n1, "restart", "", "before 2")
	p.WaitFor(`demo.events.length >= 2`, `demo.events`)
	var lastID string
	p.Eval(`demo.lastId`, &lastID)

	if err := n1.Stop(); err != nil {
		t.Fatal(err)
	}
	p.WaitFor(`demo.state === "connecting"`, `demo.states`)

	n2 := startTestNode(t, config{Addr: n1.Addr(), SSE: opts})
	p.WaitFor(`demo.resets.length >= 1 && demo.state === "open"`, `[demo.states, demo.events]`)
	var reset struct {
		Reason      string
		LastEventID string
		Shown       bool
		Text        string
	}
	p.Eval(`({Reason: demo.resets[0].reason, LastEventID: demo.resets[0].lastEventId,
		Shown: !document.getElementById("reset").hidden, Text: document.getElementById("reset").textContent})`, &reset)
	if reset.Reason != codec.ResetOtherEpoch || reset.LastEventID != lastID {
		t.Errorf("sse-reset data: reason %q lastEventId %q, want %q and %q", reset.Reason, reset.LastEventID, codec.ResetOtherEpoch, lastID)
	}
	if !reset.Shown || !strings.Contains(reset.Text, lastID) {
		t.Errorf("the page does not show the reset: shown %v, text %q", reset.Shown, reset.Text)
	}

	publish(t, n2, "restart", "", "after")
	p.WaitFor(`demo.events.some(e => e.data === "after")`, `demo.events`)
	if got, want := eventData(t, p), []string{"before 1", "before 2", "after"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestBrowserPayloadsByteForByte: multi-line and unicode data published
// through the page's form (POST /publish, go-micro client, broker) arrive
// exactly; CR and CRLF line ends arrive as LF, as the standard says.
func TestBrowserPayloadsByteForByte(t *testing.T) {
	n := startTestNode(t, config{})
	p := openDemo(t, n, "stream=bytes")

	cases := []struct{ sent, want string }{
		{"line one\nline two\n\n  indented\n: not a comment\ndata: not a field\nid: nor this\nevent: nor this", ""},
		{"héllo wörld — 日本語 — 🎉 👩‍👩‍👧 — e\u0301 — שלום — \u00a0nbsp — \u2028sep", ""},
		{" leading space, trailing space ", ""},
		{"crlf\r\nand cr\rend", "crlf\nand cr\nend"},
	}
	var want []string
	for _, c := range cases {
		sent, _ := json.Marshal(c.sent)
		var status int
		p.Eval(fmt.Sprintf(`demo.publish("bytes", "chat", %s)`, sent), &status)
		if status != 204 {
			t.Fatalf("POST /publish of %q: HTTP %d", c.sent, status)
		}
		if c.want == "" {
			c.want = c.sent
		}
		want = append(want, c.want)
	}
	p.WaitFor(fmt.Sprintf(`demo.events.length >= %d`, len(want)), `demo.events`)
	if got := eventData(t, p); !slices.Equal(got, want) {
		t.Fatalf("data:\n got %q\nwant %q", got, want)
	}
}

// TestBrowserFormPublishes: the form on the page publishes what a person
// types; it comes back on the page's own stream.
func TestBrowserFormPublishes(t *testing.T) {
	n := startTestNode(t, config{})
	p := openDemo(t, n, "stream=chat")
	p.Eval(`(() => {
		const f = document.getElementById("send");
		f.topic.value = "chat";
		f.type.value = "note";
		f.text.value = "typed in the form\nsecond line ✓";
		f.querySelector("button[type=submit]").click();
		return true;
	})()`, nil)
	p.WaitFor(`demo.events.length >= 1 && document.getElementById("sent").textContent !== ""`, `[demo.events, document.getElementById("sent").textContent]`)
	var got struct{ Type, Data, Sent string }
	p.Eval(`({Type: demo.events[0].type, Data: demo.events[0].data, Sent: document.getElementById("sent").textContent})`, &got)
	if got.Type != "note" || got.Data != "typed in the form\nsecond line ✓" || got.Sent != "published" {
		t.Fatalf("form round trip: %+v", got)
	}
}

// TestBrowserUnauthorized: a refused stream (401) fires error, the
// EventSource gives up (readyState CLOSED) and the browser does not hammer
// the server: over a window longer than its default reconnection delay it
// makes no further request.
func TestBrowserUnauthorized(t *testing.T) {
	log := requestLog{deny: true}
	n := startTestNode(t, config{SSE: []server.Option{log.option()}})
	p := browsertest.Shared(t).Open(t, n.URL("/?stream=secret"))
	p.WaitFor(`window.demo && demo.state === "error"`, `window.demo && demo.states`)
	var readyState int
	p.Eval(`demo.es.readyState`, &readyState)
	if readyState != 2 {
		t.Errorf("readyState %d after a 401, want 2 (CLOSED)", readyState)
	}
	waitQuiet(4 * time.Second) // Chromium would retry after 3s if it retried
	if got := len(log.ids()); got < 1 || got > 2 {
		t.Fatalf("%d events requests from one page after a 401, want 1 (at most 2)", got)
	}
	var errors int
	p.Eval(`demo.errors`, &errors)
	if errors != 1 {
		t.Errorf("%d error events, want 1", errors)
	}
}

// firstDiff is the first index where a and b differ.
func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestBrowserDropResumeButton: the page's drop/resume button closes the
// EventSource and opens a new one with ?lastEventId=<last id>; the events
// published meanwhile arrive exactly once, in order, marked as replayed.
func TestBrowserDropResumeButton(t *testing.T) {
	var log requestLog
	n := startTestNode(t, config{SSE: []server.Option{log.option()}})
	p := openDemo(t, n, "stream=button")
	stamped := func(i int) string {
		return fmt.Sprintf(`{"n":%d,"at":%d}`, i, time.Now().UnixMilli())
	}
	var want []string
	for i := 1; i <= 3; i++ {
		want = append(want, stamped(i))
		publish(t, n, "button", "", want[len(want)-1])
	}
	p.WaitFor(`demo.events.length >= 3`, `demo.events`)
	p.Eval(`document.getElementById("toggle").click()`, nil)
	p.WaitFor(`demo.state === "closed"`, `demo.states`)
	var lastID string
	p.Eval(`demo.lastId`, &lastID)
	for i := 4; i <= 7; i++ {
		want = append(want, stamped(i))
		publish(t, n, "button", "", want[len(want)-1])
	}
	p.Eval(`document.getElementById("toggle").click()`, nil)
	p.WaitFor(`demo.events.length >= 7 && demo.state === "open"`, `[demo.events, demo.states]`)
	want = append(want, stamped(8))
	publish(t, n, "button", "", want[len(want)-1])
	p.WaitFor(`demo.events.length >= 8`, `demo.events`)

	if got := eventData(t, p); !slices.Equal(got, want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
	var replay []bool
	p.Eval(`demo.events.map(e => e.replay)`, &replay)
	if wantReplay := []bool{false, false, false, true, true, true, true, false}; !slices.Equal(replay, wantReplay) {
		t.Errorf("replay marks %v, want %v", replay, wantReplay)
	}
	if ids := log.ids(); len(ids) != 2 || ids[1] != lastID {
		t.Errorf("Last-Event-ID of the requests %q, want \"\" then %q", ids, lastID)
	}
}

// TestBrowserGarbageLastEventID: an id the server cannot place, given in
// the page's address, is answered with the sse-reset event, which the page
// shows; live events follow.
func TestBrowserGarbageLastEventID(t *testing.T) {
	n := startTestNode(t, config{})
	p := openDemo(t, n, "stream=garbage&lastEventId=not-an-id-of-ours")
	p.WaitFor(`demo.resets.length >= 1`, `demo.events`)
	var reason string
	p.Eval(`demo.resets[0].reason`, &reason)
	if reason != codec.ResetInvalid && reason != codec.ResetOtherEpoch {
		t.Errorf("reset reason %q, want %q or %q", reason, codec.ResetInvalid, codec.ResetOtherEpoch)
	}
	publish(t, n, "garbage", "", "live")
	p.WaitFor(`demo.events.some(e => e.data === "live")`, `demo.events`)
	var shown bool
	p.Eval(`!document.getElementById("reset").hidden`, &shown)
	if !shown {
		t.Error("the page does not show the reset")
	}
}
