package contract

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// Mem is the answer of GET /debug/mem: the Go runtime's view of the
// server's memory right after a garbage collection.
type Mem struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
}

// ReadMem collects garbage, then reads the runtime's memory statistics.
func ReadMem() Mem {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Mem{
		HeapInuse:  ms.HeapInuse,
		StackInuse: ms.StackInuse,
		Sys:        ms.Sys,
		Goroutines: runtime.NumGoroutine(),
	}
}

// Health answers GET /health with 200 "ok".
func Health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok\n"))
}

// MemHandler answers GET /debug/mem with Mem as JSON.
func MemHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ReadMem())
}

// Mux returns the routes every benchmark server has besides its events
// endpoint: /publish, /health, /debug/mem and Go's profiles under
// /debug/pprof/ (the servers listen on loopback), so that a server can be
// profiled under load:
//
//	go tool pprof -seconds 10 http://127.0.0.1:PORT/debug/pprof/profile
func Mux(p *Publisher) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/publish", p)
	mux.HandleFunc("/health", Health)
	mux.HandleFunc("/debug/mem", MemHandler)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	return mux
}
