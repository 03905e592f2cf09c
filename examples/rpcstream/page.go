package main

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// pageHandler serves the page (static/index.html at /).
func pageHandler() http.Handler {
	sub, _ := fs.Sub(static, "static")
	return http.FileServerFS(sub)
}
