package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"

	"go-micro.dev/v4/client"
	"go-micro.dev/v4/codec/bytes"
	"go-micro.dev/v4/metadata"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

//go:embed static
var static embed.FS

// maxPost bounds the body of a POST /publish.
const maxPost = 64 << 10

// newPage returns the handler mounted beside the events endpoint: the page
// (GET /, app.js, style.css) and POST /publish, which publishes a message
// through the go-micro client c, hence through the go-micro broker.
func newPage(c client.Client) http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	fileServer := http.FileServerFS(files)
	mux.Handle("GET /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		fileServer.ServeHTTP(w, r)
	}))
	mux.Handle("POST /publish", &publisher{client: c})
	return mux
}

// publisher is POST /publish: {"topic": "chat", "type": "chat", "text":
// "..."} publishes text, byte for byte, as the data of one event of that
// type (no type: a "message" event). 204 when published, 400 for a bad
// request or an event the broker refuses (a type with a line break).
type publisher struct {
	client client.Client
}

func (p *publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Topic string `json:"topic"`
		Type  string `json:"type"`
		Text  string `json:"text"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPost)).Decode(&in); err != nil {
		http.Error(w, "demo: bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if in.Topic == "" {
		http.Error(w, "demo: bad request: no topic", http.StatusBadRequest)
		return
	}
	if err := publishText(r.Context(), p.client, in.Topic, in.Type, []byte(in.Text)); err != nil {
		status := http.StatusServiceUnavailable
		if errors.Is(err, codec.ErrInvalidEvent) || errors.Is(err, codec.ErrInvalidID) {
			status = http.StatusBadRequest
		}
		http.Error(w, "demo: publish: "+err.Error(), status)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// publishText publishes data, byte for byte, as one event of type typ (none:
// a "message" event) on topic through the go-micro client c. The raw codec
// sends the bytes as they are: no JSON quoting, so a multi-line text becomes
// a multi-line event.
func publishText(ctx context.Context, c client.Client, topic, typ string, data []byte) error {
	if typ != "" {
		ctx = metadata.Set(ctx, codec.HeaderEvent, typ)
	}
	msg := c.NewMessage(topic, &bytes.Frame{Data: data}, client.WithMessageContentType("application/octet-stream"))
	return c.Publish(ctx, msg)
}
