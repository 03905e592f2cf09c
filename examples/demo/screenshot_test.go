package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/examples/internal/browsertest"
)

var updateScreenshot = flag.Bool("update-screenshot", false,
	"write the demo page's screenshot to examples/demo/screenshot.png (the README shows it)")

// TestScreenshot drives the demo as a person would (ticker on, a message
// from the form, a drop and a resume that replays the gap) and takes a
// screenshot of the page. With -update-screenshot it replaces
// screenshot.png, otherwise it writes to a temporary directory.
func TestScreenshot(t *testing.T) {
	n := startTestNode(t, config{Tick: 300 * time.Millisecond})
	p := openDemo(t, n, "")
	p.WaitFor(`demo.events.filter(e => e.type === "headline").length >= 1`, `demo.events`)
	p.Eval(`(() => {
		const f = document.getElementById("send");
		f.text.value = "Hello from the form 👋\nsecond line, byte for byte";
		f.querySelector("button[type=submit]").click();
		return true;
	})()`, nil)
	p.WaitFor(`demo.events.some(e => e.type === "chat")`, `demo.events`)
	p.Eval(`document.getElementById("toggle").click()`, nil) // drop
	var before int
	p.Eval(`demo.events.length`, &before)
	if err := waitTicks(n, 4); err != nil {
		t.Fatal(err)
	}
	p.Eval(`document.getElementById("toggle").click()`, nil) // resume
	p.WaitFor(`demo.events.some(e => e.replay)`, `demo.events.slice(-8)`)
	p.WaitFor(`demo.events.some(e => e.conn === 2 && !e.replay && e.type === "tick")`, `demo.events.slice(-8)`)

	path := filepath.Join(t.TempDir(), "screenshot.png")
	if *updateScreenshot {
		path = "screenshot.png"
	}
	p.Screenshot(path)
	t.Logf("screenshot written to %s", path)
}

// waitTicks waits until the ticker of n has published k more ticks, at
// most browsertest.DefaultTimeout.
func waitTicks(n *node, k int) error {
	start := n.ticker.published.Load()
	deadline := time.Now().Add(browsertest.DefaultTimeout)
	for n.ticker.published.Load() < start+int64(k) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the ticker published %d ticks in %v, want %d", n.ticker.published.Load()-start, browsertest.DefaultTimeout, k)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// TestEmojiRenders: the emoji of the demo's headline are drawn with a
// glyph of their own, not the missing-glyph box (the browser needs a
// colour emoji font: .ci/run installs Debian's fonts-noto-color-emoji).
func TestEmojiRenders(t *testing.T) {
	n := startTestNode(t, config{})
	p := openDemo(t, n, "")
	var drawn struct {
		Emoji   []int `json:"emoji"`
		Missing []int `json:"missing"`
	}
	// The pixels of each string drawn on a canvas in the page's font: a
	// glyph the fonts lack is drawn as the same box as any other.
	p.Eval(`(() => {
		const c = document.createElement("canvas"); c.width = 64; c.height = 64;
		const g = c.getContext("2d", {willReadFrequently: true});
		const draw = (s) => {
			g.clearRect(0, 0, 64, 64);
			g.font = "40px " + getComputedStyle(document.body).fontFamily;
			g.fillText(s, 4, 48);
			return Array.from(g.getImageData(0, 0, 64, 64).data);
		};
		return {emoji: draw("🎉"), missing: draw("\u{10FFFD}")};
	})()`, &drawn)
	if slices.Equal(drawn.Emoji, drawn.Missing) {
		t.Fatal("🎉 is drawn as the missing-glyph box: no emoji font (install fonts-noto-color-emoji)")
	}
}
