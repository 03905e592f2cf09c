// Package writepath is the write path of the events endpoint for the
// connections it takes over. Each connection is owned by a Conn, the only
// way to its descriptor: it writes (one non-blocking writev), peeks (is
// the client gone?) and closes, and a write or peek after Close never
// reaches the descriptor number.
package writepath
