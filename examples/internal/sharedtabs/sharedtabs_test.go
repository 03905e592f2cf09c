package sharedtabs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
	"go-micro.dev/v4/server"
)

func TestMain(m *testing.M) { browsertest.Main(m, ssetest.GoleakIgnores()...) }

// node is a server with the test page at "/".
type node struct {
	srv *sse.Server
	svc *ssetest.Service
	// refuse, while above zero, makes /flaky answer that status (with
	// Retry-After: 1) instead of the events; requests counts /flaky's
	// requests.
	refuse, requests atomic.Int64
}

func startNode(t *testing.T, opts ...server.Option) *node {
	t.Helper()
	return startNodeAt(t, "", opts...)
}

// startNodeAt starts a node listening on addr ("": any port).
func startNodeAt(t *testing.T, addr string, opts ...server.Option) *node {
	t.Helper()
	srv := sse.NewServer(opts...)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, Page)
	})
	n := &node{srv: srv}
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		n.requests.Add(1)
		if code := n.refuse.Load(); code > 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(int(code))
			return
		}
		srv.EventsHandler().ServeHTTP(w, r)
	})
	if err := srv.Handle(srv.NewHandler(mux)); err != nil {
		t.Fatal(err)
	}
	n.svc = ssetest.StartService(t, srv, ssetest.ServiceOptions{Address: addr, Broker: ssebroker.NewBroker()})
	return n
}

// pageURL is the test page opening events with the query params.
func (n *node) pageURL(events string, params ...string) string {
	q := url.Values{"u": {events}}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return n.svc.URL("/?" + q.Encode())
}

// publish publishes the events from..to (data "from", ..., "to") to topic.
func (n *node) publish(t *testing.T, topic string, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if err := n.srv.Publish(context.Background(), topic, &codec.Event{Data: []byte(strconv.Itoa(i))}); err != nil {
			t.Error(err)
			return
		}
	}
}

// openTabs opens n tabs of profile on u and waits until each is open.
func openTabs(t *testing.T, p *browsertest.Profile, u string, n int) []*browsertest.Page {
	t.Helper()
	tabs := make([]*browsertest.Page, n)
	for i := range tabs {
		tabs[i] = p.Open(t, u)
		tabs[i].WaitForEval(`window.es && es.readyState === 1`, `({state: window.es && es.readyState, errors: window.errors})`)
	}
	return tabs
}

// want is the data of the events from..to.
func want(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// checkGot waits until every tab has len(w) events and checks that they are
// exactly w, in order.
func checkGot(t *testing.T, tabs []*browsertest.Page, w []string) {
	t.Helper()
	for i, tab := range tabs {
		tab.WaitForEval(fmt.Sprintf(`got.length >= %d`, len(w)), `({n: got.length, last: got.slice(-5), leader: es.leader, pingAt: es._pingAt, heard: es._heard, now: Date.now(), gen: es._gen, state: es.readyState, release: !!es._release})`)
		var got []string
		tab.Eval(`got`, &got)
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("tab %d got %d events:\n%v\nwant %d:\n%v", i, len(got), got, len(w), w)
		}
	}
}

// leaderOf returns the index of the tab that holds the connection; exactly
// one must.
func leaderOf(t *testing.T, tabs []*browsertest.Page) int {
	t.Helper()
	leader := -1
	for i, tab := range tabs {
		var is bool
		tab.Eval(`es.leader`, &is)
		if is {
			if leader >= 0 {
				t.Fatalf("tabs %d and %d both lead", leader, i)
			}
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no tab leads")
	}
	return leader
}

// TestFourTabsOneStream: four tabs of one profile on one URL hold one
// stream on the server, and each gets every event once, in order.
func TestFourTabsOneStream(t *testing.T) {
	n := startNode(t)
	tabs := openTabs(t, browsertest.Shared(t).NewProfile(t), n.pageURL("/events?stream=news"), 4)
	if open := n.srv.Stats().Endpoint.Open; open != 1 {
		t.Fatalf("the server holds %d streams for 4 tabs, want 1", open)
	}
	n.publish(t, "news", 1, 50)
	checkGot(t, tabs, want(1, 50))
	leaderOf(t, tabs)
	if open := n.srv.Stats().Endpoint.Open; open != 1 {
		t.Fatalf("the server holds %d streams for 4 tabs, want 1", open)
	}
}

// takeOver opens 4 tabs, publishes 200 events while end does away with the
// leader's tab after the first ones, and checks that another tab leads on
// one stream and that every remaining tab has every event exactly once.
func takeOver(t *testing.T, end func(*browsertest.Page), params ...string) {
	n := startNode(t)
	tabs := openTabs(t, browsertest.Shared(t).NewProfile(t), n.pageURL("/events?stream=news", params...), 4)
	leader := leaderOf(t, tabs)

	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= 200; i++ {
			n.publish(t, "news", i, i)
			time.Sleep(5 * time.Millisecond)
		}
	})
	tabs[leader].WaitFor(`got.length >= 30`, `got.length`)
	accepted := n.srv.Stats().Endpoint.Accepted
	ended := time.Now()
	ending := make(chan struct{}) // end may wait for an answer the crashed tab never gives
	go func() { defer close(ending); end(tabs[leader]) }()
	ssetest.Eventually(t, "a new leader's stream", func() bool { return n.srv.Stats().Endpoint.Accepted > accepted })
	t.Logf("a new leader's stream opened %v after the old leader's end began", time.Since(ended).Round(time.Millisecond))
	<-ending
	rest := append(tabs[:leader:leader], tabs[leader+1:]...)
	wg.Wait()
	checkGot(t, rest, want(1, 200))
	next := rest[leaderOf(t, rest)]
	var opens, resets int
	next.Eval(`opens`, &opens)
	next.Eval(`resets.length`, &resets)
	if opens != 1 || resets != 0 {
		t.Errorf("the new leader saw %d opens and %d resets, want 1 and 0", opens, resets)
	}
	ssetest.Eventually(t, "one stream on the server", func() bool { return n.srv.Stats().Endpoint.Open == 1 })
}

// TestLeaderTabClosed: the leader's tab is closed mid-stream
// (target.CloseTarget): another tab leads and resumes from the last id.
func TestLeaderTabClosed(t *testing.T) {
	takeOver(t, func(p *browsertest.Page) { p.Close() })
}

// TestLeaderRendererCrashed: the leader's renderer crashes (Page.crash):
// its lock is released and another tab leads.
func TestLeaderRendererCrashed(t *testing.T) {
	takeOver(t, func(p *browsertest.Page) { p.Crash() })
}

// liveTabs opens 8 tabs of one profile on the page over HTTP/1.1, each
// navigating without waiting for the others, publishes an event every 50 ms
// for 5 s, and returns which tabs got any.
func liveTabs(t *testing.T, n *node, page string) []bool {
	t.Helper()
	profile := browsertest.Shared(t).NewProfile(t)
	tabs := make([]*browsertest.Page, 8)
	for i := range tabs {
		tabs[i] = profile.Open(t, "about:blank")
		tabs[i].Eval(fmt.Sprintf(`location.href = %q, true`, page), nil)
	}
	for i := 1; i <= 100; i++ {
		n.publish(t, "news", i, i)
		time.Sleep(50 * time.Millisecond)
	}
	live := make([]bool, len(tabs))
	for i, tab := range tabs {
		var got int
		tab.Timeout = 3 * time.Second // a tab whose page is still loading does not answer
		if err := tab.TryEval(`typeof got === "undefined" ? -1 : got.length`, &got); err != nil {
			t.Logf("tab %d: %v", i+1, err)
		}
		live[i] = got > 0
		t.Logf("tab %d: %d events (-1: its page never loaded)", i+1, got)
	}
	return live
}

func count(live []bool) (n int) {
	for _, l := range live {
		if l {
			n++
		}
	}
	return n
}

// TestEightTabsHTTP1: over HTTP/1.1 a browser opens at most 6 connections
// to an origin. 8 tabs with SharedEventSource are all live on one
// connection; the same page with a plain EventSource leaves the 7th and
// 8th tabs stalled (the test records both).
func TestEightTabsHTTP1(t *testing.T) {
	n := startNode(t)
	shared := liveTabs(t, n, n.pageURL("/events?stream=news"))
	if count(shared) != 8 {
		t.Errorf("SharedEventSource: %d of 8 tabs live (%v), want 8", count(shared), shared)
	}
	if open := n.srv.Stats().Endpoint.Open; open != 1 {
		t.Errorf("SharedEventSource: the server holds %d streams for 8 tabs, want 1", open)
	}
	plain := liveTabs(t, n, n.pageURL("/events?stream=news", "plain", "1"))
	t.Logf("plain EventSource: %d of 8 tabs live: %v", count(plain), plain)
	if count(plain) > 6 || plain[6] || plain[7] {
		t.Errorf("plain EventSource: %d of 8 tabs live (%v); the browser's limit of 6 connections was expected to stall tabs 7 and 8", count(plain), plain)
	}
}

// TestFrozenLeader: the leader's page is frozen (as the browser freezes a
// background tab): its pings go unanswered, a follower steals the lock
// after staleAfter and leads; thawed, the old leader finds its lock
// stolen and follows. Every tab, the thawed one included, has every event
// exactly once, and the server ends with one stream.
func TestFrozenLeader(t *testing.T) {
	n := startNode(t)
	tabs := openTabs(t, browsertest.Shared(t).NewProfile(t), n.pageURL("/events?stream=news", "stale", "1000"), 3)
	leader := leaderOf(t, tabs)
	n.publish(t, "news", 1, 20)
	checkGot(t, tabs, want(1, 20))

	tabs[leader].SetLifecycle(page.SetWebLifecycleStateStateFrozen)
	rest := append(tabs[:leader:leader], tabs[leader+1:]...)
	for i := 21; i <= 100; i++ {
		n.publish(t, "news", i, i)
		time.Sleep(20 * time.Millisecond)
	}
	checkGot(t, rest, want(1, 100))
	leaderOf(t, rest)

	tabs[leader].SetLifecycle(page.SetWebLifecycleStateStateActive)
	n.publish(t, "news", 101, 120)
	checkGot(t, tabs, want(1, 120))
	leaderOf(t, tabs)
	ssetest.Eventually(t, "one stream on the server", func() bool { return n.srv.Stats().Endpoint.Open == 1 })
}

// TestComesBackAfterRefusal: while the server (or a proxy) answers 503
// with Retry-After, a plain EventSource is closed for good;
// SharedEventSource asks what the answer was and comes back after it.
func TestComesBackAfterRefusal(t *testing.T) {
	n := startNode(t)
	n.refuse.Store(http.StatusServiceUnavailable)
	profile := browsertest.Shared(t).NewProfile(t)
	shared := profile.Open(t, n.pageURL("/flaky?stream=news"))
	plain := profile.Open(t, n.pageURL("/flaky?stream=news", "plain", "1"))
	shared.WaitFor(`errors >= 1`, `errors`)
	plain.WaitFor(`es.readyState === 2`, `es.readyState`)
	ssetest.Eventually(t, "both pages asked", func() bool { return n.requests.Load() >= 3 }) // the plain one, the shared one and its probe
	n.refuse.Store(0)
	shared.WaitFor(`es.readyState === 1`, `({state: es.readyState, errors})`)
	n.publish(t, "news", 1, 5)
	checkGot(t, []*browsertest.Page{shared}, want(1, 5))
	var state int
	plain.Eval(`es.readyState`, &state)
	if state != 2 {
		t.Errorf("the plain EventSource is in state %d, want 2 (closed for good)", state)
	}
}

// TestStopsForGood: after a 204, 401 or 403 every tab of the URL is
// closed for good and asks no more.
func TestStopsForGood(t *testing.T) {
	for _, code := range []int{http.StatusNoContent, http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			n := startNode(t)
			n.refuse.Store(int64(code))
			profile := browsertest.Shared(t).NewProfile(t)
			tabs := []*browsertest.Page{profile.Open(t, n.pageURL("/flaky?stream=news"))}
			tabs = append(tabs, profile.Open(t, n.pageURL("/flaky?stream=news")))
			for _, tab := range tabs {
				tab.WaitFor(`es.readyState === 2 && errors >= 1`, `({state: es.readyState, errors})`)
			}
			asked := n.requests.Load()
			time.Sleep(2500 * time.Millisecond) // longer than the Retry-After
			if again := n.requests.Load(); again != asked {
				t.Errorf("after %d the tabs asked %d more times, want none", code, again-asked)
			}
		})
	}
}

// TestRewind: a page opening ?rewind=5 gets exactly the last 5 events,
// then live ones; a second tab of the profile that joins the stream later
// gets the same from the leader: the 5 the stream began with and every
// one since, on the one connection.
func TestRewind(t *testing.T) {
	n := startNode(t)
	n.publish(t, "news", 1, 10)
	profile := browsertest.Shared(t).NewProfile(t)
	u := n.pageURL("/events?stream=news&rewind=5")
	tabs := openTabs(t, profile, u, 1)
	checkGot(t, tabs, want(6, 10))
	n.publish(t, "news", 11, 12)
	checkGot(t, tabs, want(6, 12))
	tabs = append(tabs, openTabs(t, profile, u, 1)...)
	n.publish(t, "news", 13, 13)
	checkGot(t, tabs, want(6, 13))
	if open := n.srv.Stats().Endpoint.Open; open != 1 {
		t.Errorf("the server holds %d streams for 2 tabs, want 1", open)
	}
}

// store is the application's state that outlives a server: the list of
// items published so far.
type store struct {
	mu    sync.Mutex
	items []string
}

func (s *store) add(n *node, t *testing.T, item string) {
	s.mu.Lock()
	s.items = append(s.items, item)
	s.mu.Unlock()
	if n != nil {
		if err := n.srv.Publish(context.Background(), "news", &codec.Event{Data: []byte(item)}); err != nil {
			t.Error(err)
		}
	}
}

// snapshot is the Snapshot function: one "state" event with the whole
// list.
func (s *store) snapshot(ctx context.Context, topic string) ([]codec.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(append([]string{}, s.items...))
	return []codec.Event{{Event: "state", Data: b}}, err
}

// TestSnapshotAfterRestart: pages whose server restarts (a new epoch, an
// empty log) while items are added get sse-reset and the snapshot after
// it, and end with the state of a fresh page, a plain EventSource page
// included.
func TestSnapshotAfterRestart(t *testing.T) {
	var st store
	opts := []server.Option{sse.Snapshot(st.snapshot), sse.Retry(300 * time.Millisecond), sse.ShutdownJitter(200 * time.Millisecond)}
	n := startNode(t, opts...)
	for i := 1; i <= 3; i++ {
		st.add(n, t, fmt.Sprintf("item-%d", i))
	}
	profile := browsertest.Shared(t).NewProfile(t)
	shared := openTabs(t, profile, n.pageURL("/events?stream=news&snapshot=1"), 2)
	plain := openTabs(t, profile, n.pageURL("/events?stream=news&snapshot=1", "plain", "1"), 1)
	pages := append(shared, plain...)
	for _, p := range pages {
		p.WaitFor(`items.length === 3`, `items`)
	}
	st.add(n, t, "item-4")

	addr := n.svc.Addr()
	if err := n.svc.Stop(); err != nil {
		t.Fatal(err)
	}
	st.add(nil, t, "item-5") // while no server runs
	n = startNodeAt(t, addr, opts...)
	st.add(n, t, "item-6")
	fresh := browsertest.Shared(t).Open(t, n.pageURL("/events?stream=news&snapshot=1"))
	fresh.WaitFor(`items.length === 6`, `items`)
	var whole []string
	fresh.Eval(`items`, &whole)
	for i, p := range pages {
		p.WaitFor(`items.length === 6 && resets.length === 1`, `({items, resets})`)
		var items []string
		p.Eval(`items`, &items)
		if fmt.Sprint(items) != fmt.Sprint(whole) {
			t.Errorf("page %d: %v, want a fresh page's %v", i, items, whole)
		}
	}
	if open := n.srv.Stats().Endpoint.Open; open != 3 {
		t.Errorf("the restarted server holds %d streams, want 3 (the shared tabs', the plain page's, the fresh page's)", open)
	}
}

// TestHiddenTabsThrottled: in a browser with background throttling on,
// three tabs share one window, so all but the front one are hidden; the
// leader (hidden) is closed mid-stream: a hidden tab takes over and every
// remaining tab has every event exactly once.
func TestHiddenTabsThrottled(t *testing.T) {
	n := startNode(t)
	profile := browsertest.StartThrottled(t).NewProfile(t)
	u := n.pageURL("/events?stream=news")
	tabs := []*browsertest.Page{profile.Open(t, u), profile.OpenBehind(t, u), profile.OpenBehind(t, u)}
	var visibility []string
	for _, tab := range tabs {
		tab.WaitForEval(`window.es && es.readyState === 1`, `({state: window.es && es.readyState})`)
		var v string
		tab.Eval(`document.visibilityState`, &v)
		visibility = append(visibility, v)
	}
	if fmt.Sprint(visibility) != "[hidden hidden visible]" {
		t.Fatalf("tabs are %v, want the first two hidden", visibility)
	}
	leader := leaderOf(t, tabs)
	if visibility[leader] != "hidden" {
		t.Logf("the leader is tab %d (%s)", leader, visibility[leader])
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= 150; i++ {
			n.publish(t, "news", i, i)
			time.Sleep(5 * time.Millisecond)
		}
	})
	tabs[leader].WaitForEval(`got.length >= 30`, `got.length`)
	tabs[leader].Close()
	rest := append(tabs[:leader:leader], tabs[leader+1:]...)
	wg.Wait()
	checkGot(t, rest, want(1, 150))
	leaderOf(t, rest)
	ssetest.Eventually(t, "one stream on the server", func() bool { return n.srv.Stats().Endpoint.Open == 1 })
}

// TestFrozenNextInQueue: the tab next in the lock's queue is frozen when
// the leader's tab closes, so the lock goes to a tab that cannot lead: the
// third tab's pings go unanswered, it steals the lock and leads. Thawed,
// the frozen tab follows, and every tab has every event exactly once.
func TestFrozenNextInQueue(t *testing.T) {
	n := startNode(t)
	tabs := openTabs(t, browsertest.Shared(t).NewProfile(t), n.pageURL("/events?stream=news", "stale", "1000"), 3)
	if leader := leaderOf(t, tabs); leader != 0 {
		t.Fatalf("tab %d leads, want the first opened", leader)
	}
	n.publish(t, "news", 1, 10)
	checkGot(t, tabs, want(1, 10))
	tabs[1].SetLifecycle(page.SetWebLifecycleStateStateFrozen)
	tabs[0].Close()
	for i := 11; i <= 60; i++ {
		n.publish(t, "news", i, i)
		time.Sleep(20 * time.Millisecond)
	}
	checkGot(t, tabs[2:], want(1, 60))
	tabs[1].SetLifecycle(page.SetWebLifecycleStateStateActive)
	n.publish(t, "news", 61, 70)
	checkGot(t, tabs[1:], want(1, 70))
	leaderOf(t, tabs[1:])
	ssetest.Eventually(t, "one stream on the server", func() bool { return n.srv.Stats().Endpoint.Open == 1 })
}
