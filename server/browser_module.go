package server

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// The browser module: SharedEventSource, an EventSource whose tabs share
// one connection, served beside the events endpoint.

// ModuleName is the file name of the browser module, version in it: the
// server's listener serves it at the events path + "/" + ModuleName
// (/events/sse-v1.js by default), and ModuleHandler serves it on any path.
// A new version of the module gets a new name, so the file of one name
// never changes and is cached for good.
const ModuleName = "sse-v1.js"

//go:embed browser/sse-v1.js
var moduleSource []byte

// moduleETag is the module's entity tag: a hash of its bytes.
var moduleETag = func() string {
	sum := sha256.Sum256(moduleSource)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// ModuleSource returns a copy of the browser module's source, for users
// who bundle it themselves.
func ModuleSource() []byte { return bytes.Clone(moduleSource) }

// ModuleHandler returns an http.Handler that serves the browser module (an
// ES module exporting SharedEventSource) for GET and HEAD, whatever the
// path it is mounted on, with Cache-Control immutable for a year (the
// file of one ModuleName never changes), an ETag and
// Access-Control-Allow-Origin "*" (it is public code). It needs no running
// server.
//
//	mux.Handle("/static/"+server.ModuleName, server.ModuleHandler())
func ModuleHandler() http.Handler {
	return http.HandlerFunc(serveModule)
}

func serveModule(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", moduleETag)
	http.ServeContent(w, r, ModuleName, time.Time{}, bytes.NewReader(moduleSource))
}

// modulePath returns the path of the browser module on the server's
// listener: beside the events path eventsPath.
func modulePath(eventsPath string) string {
	return strings.TrimSuffix(eventsPath, "/") + "/" + ModuleName
}
