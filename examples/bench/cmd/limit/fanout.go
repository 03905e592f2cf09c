package main

import (
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// header is the whole response head of a stream, shared by all (never
// written to): its body ends at close.
var header = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")

// fanout is the whole server: the log of frames and the writers that own
// the connections.
type fanout struct {
	log     byteLog
	writers []*writer
	next    atomic.Uint64 // round robin of new connections over writers

	done      chan struct{} // closed by close
	closeOnce sync.Once
	wg        sync.WaitGroup // the writers
}

// newFanout returns a fanout with GOMAXPROCS running writers.
func newFanout() *fanout {
	f := &fanout{done: make(chan struct{})}
	for range runtime.GOMAXPROCS(0) {
		w := newWriter(f)
		f.writers = append(f.writers, w)
		f.wg.Go(w.run)
	}
	return f
}

// Parts of the one frame of an event: "data: ", the data, then the blank
// line (data holds no newline).
var (
	dataField = []byte("data: ")
	frameEnd  = []byte("\n\n")
)

// publish encodes data as one frame into the log and wakes every writer.
func (f *fanout) publish(data []byte) {
	f.log.append(dataField, data, frameEnd)
	for _, w := range f.writers {
		w.signal()
	}
}

// serve takes the connection over and hands it to a writer, positioned at
// the log's head: the writer sends the headers, so a client that has them
// gets every later event.
func (f *fanout) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("stream") == "" {
		http.Error(w, "no stream", http.StatusBadRequest)
		return
	}
	nc, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot take the connection over", http.StatusInternalServerError)
		return
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		_ = nc.Close()
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		_ = nc.Close()
		return
	}
	c := &conn{nc: nc, raw: raw, pending: header}
	_ = raw.Control(func(fd uintptr) { c.fd = int(fd) })
	f.writers[f.next.Add(1)%uint64(len(f.writers))].add(c)
}

// close stops the writers, which close their connections, and waits for
// them.
func (f *fanout) close() {
	f.closeOnce.Do(func() { close(f.done) })
	f.wg.Wait()
}
