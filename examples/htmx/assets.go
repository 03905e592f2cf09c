package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
)

// scripts are the files the page loads, by the path it loads them from,
// each relative to node_modules: htmx and its SSE extension as npm
// installed them (package-lock.json pins the versions).
var scripts = map[string]string{
	"/assets/htmx.min.js": "htmx.org/dist/htmx.min.js",
	"/assets/sse.js":      "htmx-ext-sse/dist/sse.js",
}

// ErrNoNodeModules means npm ci has not been run in examples/htmx.
var ErrNoNodeModules = errors.New("htmx: htmx is not installed: run `npm ci` in examples/htmx (make test and make htmx do)")

// nodeModulesCandidates are where node_modules is looked for, relative to
// the working folder: examples/htmx (go test, go run .), examples (go run
// ./htmx), the repository (go run ./examples/htmx from a go.work).
var nodeModulesCandidates = []string{"node_modules", "htmx/node_modules", "examples/htmx/node_modules"}

// findNodeModules returns dir if set, else the first candidate, as long as
// every script is in it; ErrNoNodeModules (wrapped) otherwise.
func findNodeModules(dir string) (string, error) {
	candidates := nodeModulesCandidates
	if dir != "" {
		candidates = []string{dir}
	}
	for _, c := range candidates {
		if hasScripts(c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w (looked in %q)", ErrNoNodeModules, candidates)
}

func hasScripts(dir string) bool {
	for _, rel := range scripts {
		if st, err := os.Stat(filepath.Join(dir, rel)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// serveScripts mounts each script of dir on mux: only those files, never a
// listing of node_modules.
func serveScripts(mux *http.ServeMux, dir string) {
	for path, rel := range scripts {
		file := filepath.Join(dir, rel)
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			http.ServeFile(w, r, file)
		})
	}
}
