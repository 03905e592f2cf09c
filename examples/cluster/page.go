package main

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"slices"
	"strings"
)

//go:embed static
var static embed.FS

// nodeInfo is one SSE node as the page sees it.
type nodeInfo struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// newPage returns the handler mounted beside a node's events endpoint: the
// page (GET /, app.js, style.css) and GET /nodes, which says which node
// answers and lists the SSE nodes go-micro's NATS registry knows (with
// CORS for the other nodes' pages).
func newPage(n *sseNode, origins []string) http.Handler {
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
	mux.HandleFunc("GET /nodes", func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); slices.Contains(origins, o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Vary", "Origin")
		}
		out := struct {
			Self  string     `json:"self"`
			Nodes []nodeInfo `json:"nodes"`
		}{Self: n.id, Nodes: []nodeInfo{}}
		services, err := n.reg.GetService(serviceName)
		if err != nil {
			http.Error(w, "cluster: registry: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		for _, s := range services {
			for _, node := range s.Nodes {
				id := node.Metadata["node"]
				if id == "" {
					id = node.Id
				}
				out.Nodes = append(out.Nodes, nodeInfo{ID: id, URL: "http://" + node.Address})
			}
		}
		slices.SortFunc(out.Nodes, func(a, b nodeInfo) int { return strings.Compare(a.ID, b.ID) })
		out.Nodes = slices.CompactFunc(out.Nodes, func(a, b nodeInfo) bool { return a.ID == b.ID })
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux
}
