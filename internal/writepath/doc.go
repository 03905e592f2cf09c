// Package writepath holds the pieces of the events endpoint's write path
// that know nothing of HTTP admission: the Conn that owns each taken-over
// connection and its descriptor (the only way to write to, peek at or
// close it; a write or peek after Close never reaches the descriptor
// number), the HTTP/1.1 chunk framing of a taken-over stream's writes,
// the heartbeat schedule and the monotonic clock of its sweep, the Counters of
// bytes written and publish-to-write latency, and the copy buffers of the
// write mode that keeps a goroutine per stream. It knows the hub, nothing
// of the server.
package writepath
