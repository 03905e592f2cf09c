package main

import (
	"bytes"
	"html/template"
	"time"
)

// item is one entry of the feed; its fragment is appended to the list
// (sse-swap="item", hx-swap="beforeend").
type item struct {
	N    int
	Text string
	At   time.Time
}

// status is the card that every publish replaces (sse-swap="status").
type status struct {
	Items int
	Last  item
}

// The fragments span several lines on purpose: each line becomes one
// "data:" line on the wire and the browser joins them back, so a fragment
// arrives whole or not at all.
var (
	itemFragment = template.Must(template.New("item").Parse(`<li class="item" id="item-{{.N}}">
  <strong class="n">#{{.N}}</strong>
  <span class="text">{{.Text}}</span>
  <time datetime="{{.At.Format "2006-01-02T15:04:05Z07:00"}}">{{.At.Format "15:04:05"}}</time>
</li>`))
	statusFragment = template.Must(template.New("status").Parse(`<article class="status">
  <h2>{{.Items}} published</h2>
  <p>last: #{{.Last.N}} {{.Last.Text}}</p>
</article>`))
)

// render executes t with v.
func render(t *template.Template, v any) ([]byte, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
