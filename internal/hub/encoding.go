package hub

import "github.com/go-micro-sse/go-micro-sse/codec"

// DataEncoding is how the hub writes event data now (WithDataEncoding), so
// that a publisher can decide before Publish what to do with a body that is
// not UTF-8 (codec.FromMessageFor).
func (h *Hub) DataEncoding() codec.DataEncoding { return codec.DataEncoding(h.enc.Load()) }
