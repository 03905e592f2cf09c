// Command loadgen is the load generator of examples/bench: it opens many
// HTTP/1.1 event streams to a benchmark server (GET /events?stream=bench),
// measures the server's memory per connection, asks it to publish
// (POST /publish?n=N&rate=R&size=S), receives every event on every stream
// and reports the server's CPU time per delivered event (and its user
// part), the delivery latency (receive time − the send time the event
// carries) and the events lost.
//
// With -server it starts the server binaries itself (so it knows their
// process ids: memory from /proc/<pid>/status VmRSS, CPU from
// /proc/<pid>/stat), each afresh for every run, in turn (A B C A B C ...)
// so that a drift of the machine's speed hits all of them alike; it prints
// one JSON line per run on stdout, then the medians and the ratios to the
// first server, or to each server named by -ref:
//
//	loadgen -server bin/ssemicro,bin/r3labs,bin/limit -ref ssemicro,limit -conns 2000 -n 200 -rate 100 -size 100 -reps 5
//
// A server may carry flags after spaces; they join its name:
//
//	loadgen -server "bin/ssemicro,bin/ssemicro -jetstream" -conns 500 -n 300 -rate 100 -reps 5
//
// With -target it loads a server that is already running (no memory or CPU
// figures: -1).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	var (
		servers = flag.String("server", "", "comma-separated benchmark server binaries to start and load in turn")
		tgt     = flag.String("target", "", "URL of a running benchmark server (instead of -server)")
		reps    = flag.Int("reps", 1, "runs per server (1..20)")
		refs    = flag.String("ref", "", "comma-separated servers (binary base names) the ratios are given to; default the first")
		c       config
	)
	flag.IntVar(&c.Conns, "conns", 100, fmt.Sprintf("event streams to open (1..%d)", maxConns))
	flag.IntVar(&c.N, "n", 100, "events to publish")
	flag.IntVar(&c.Rate, "rate", 100, "events per second")
	flag.IntVar(&c.Size, "size", 0, "padding bytes per event")
	flag.IntVar(&c.Dialers, "dialers", 64, "streams being opened at once")
	flag.DurationVar(&c.Settle, "settle", time.Second, "wait after the streams opened, before measuring memory")
	flag.DurationVar(&c.Timeout, "timeout", 60*time.Second, "bound of each phase (beyond n/rate for receiving)")
	flag.StringVar(&c.AcceptEncoding, "accept-encoding", "", `Accept-Encoding of the streams, e.g. "gzip" (default none); a gzip or deflate answer is decoded`)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("loadgen: ")

	if err := c.validate(); err != nil {
		log.Fatal(err)
	}
	if *reps < 1 || *reps > 20 {
		log.Fatalf("reps %d: want 1..20", *reps)
	}
	var err error
	switch {
	case *servers != "" && *tgt == "":
		err = runServers(os.Stdout, strings.Split(*servers, ","), c, *reps, splitList(*refs)...)
	case *tgt != "" && *servers == "":
		err = runTarget(os.Stdout, *tgt, c, *reps)
	default:
		err = errors.New("give -server or -target")
	}
	if err != nil {
		log.Fatal(err)
	}
}

// splitList splits a comma-separated list; the empty string is no item.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// runServers loads each binary reps times, each run on a fresh process,
// the binaries in turn; it writes a JSON line per run and the summary, with
// the ratios to each of refs.
func runServers(w io.Writer, paths []string, c config, reps int, refs ...string) error {
	var order []string
	byServer := map[string][]result{}
	for rep := range reps {
		for _, path := range paths {
			r, err := runServer(path, c)
			if err != nil {
				return fmt.Errorf("run %d of %s: %w", rep+1, path, err)
			}
			if rep == 0 {
				order = append(order, r.Server)
			}
			byServer[r.Server] = append(byServer[r.Server], r)
			if err := writeJSON(w, r); err != nil {
				return err
			}
		}
	}
	summarize(w, order, byServer, refs...)
	return nil
}

// runServer starts the binary at path, loads it once and stops it.
func runServer(path string, c config) (result, error) {
	p, err := startServer(path)
	if err != nil {
		return result{}, err
	}
	r, err := run(target{name: p.name, addr: p.addr, pid: p.pid()}, c)
	return r, errors.Join(err, p.stop())
}

// runTarget loads the running server at rawURL reps times.
func runTarget(w io.Writer, rawURL string, c config, reps int) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("target %q: want http://host:port", rawURL)
	}
	var rs []result
	for range reps {
		r, err := run(target{name: u.Host, addr: u.Host}, c)
		if err != nil {
			return err
		}
		rs = append(rs, r)
		if err := writeJSON(w, r); err != nil {
			return err
		}
	}
	summarize(w, []string{u.Host}, map[string][]result{u.Host: rs})
	return nil
}

func writeJSON(w io.Writer, r result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
