// Package writepath is the events endpoint's write path past admission:
// the shared writers (Pool) that write the streams taken over after their
// headers, with their flushers and heartbeat sweep, each stream's state
// (Stream, held by the endpoint's stream, its Owner, which is all the
// writers call back), the Config the endpoint hands them (frames,
// deadlines, its end and its goroutine count), the Conn that owns each taken-over
// connection and its descriptor (the only way to write to, peek at or
// close it; a write or peek after Close never reaches the descriptor
// number), the HTTP/1.1 chunk framing of a taken-over stream's writes,
// the heartbeat schedule and the monotonic clock of its sweep, the Counters of
// bytes written and publish-to-write latency, and the copy buffers of the
// write mode that keeps a goroutine per stream. It knows the hub, nothing
// of the server.
package writepath
