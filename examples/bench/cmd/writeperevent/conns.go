package main

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// header is the whole response head of a stream: its body ends at close.
const header = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"

// writeTimeout bounds the write of the headers.
const writeTimeout = 10 * time.Second

// connList is the open streams.
type connList struct {
	mu    sync.Mutex
	conns []net.Conn
}

// serve takes the connection over, adds it to the list (so a client that
// has the headers gets every later event), then writes the headers.
func (l *connList) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("stream") == "" {
		http.Error(w, "no stream", http.StatusBadRequest)
		return
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot take the connection over", http.StatusInternalServerError)
		return
	}
	l.mu.Lock()
	l.conns = append(l.conns, conn)
	_ = conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err = conn.Write([]byte(header))
	_ = conn.SetWriteDeadline(time.Time{})
	l.mu.Unlock()
	if err != nil {
		l.remove(conn)
	}
}

// writeAll writes frame to every connection, one write(2) each, dropping
// the connections whose write fails. There is no deadline per write (it
// would cost a timer per write): a reference for a load generator that reads,
// not a server for clients that may stall.
func (l *connList) writeAll(frame []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	kept := l.conns[:0]
	for _, c := range l.conns {
		if _, err := c.Write(frame); err != nil {
			_ = c.Close()
			continue
		}
		kept = append(kept, c)
	}
	clear(l.conns[len(kept):])
	l.conns = kept
}

// remove closes c and drops it from the list.
func (l *connList) remove(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = c.Close()
	for i, x := range l.conns {
		if x == c {
			l.conns = append(l.conns[:i], l.conns[i+1:]...)
			return
		}
	}
}

// closeAll closes every connection.
func (l *connList) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.conns = nil
}
