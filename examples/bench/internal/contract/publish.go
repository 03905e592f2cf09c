package contract

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Bounds of a publish request: every load loop is bounded.
const (
	MaxEvents = 1_000_000
	MaxRate   = 100_000
	MaxSize   = 1 << 20
)

// Topic is the one topic (stream) every benchmark server serves.
const Topic = "bench"

// Publish is one POST /publish?n=N&rate=R&size=S: N events at R per second,
// each with S padding bytes after the send time.
type Publish struct {
	N    int
	Rate int
	Size int
}

// ParsePublish reads n, rate and size from the query of r; each must be in
// its bound (n ≥ 1, rate ≥ 1, size ≥ 0).
func ParsePublish(r *http.Request) (Publish, error) {
	var p Publish
	q := r.URL.Query()
	for _, f := range []struct {
		name     string
		dst      *int
		min, max int
	}{
		{"n", &p.N, 1, MaxEvents},
		{"rate", &p.Rate, 1, MaxRate},
		{"size", &p.Size, 0, MaxSize},
	} {
		s := q.Get(f.name)
		if s == "" && f.name == "size" {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < f.min || v > f.max {
			return p, fmt.Errorf("%s=%q: want an integer in [%d, %d]", f.name, s, f.min, f.max)
		}
		*f.dst = v
	}
	return p, nil
}

// AppendData appends the data of an event sent at now with size padding
// bytes: the Unix nanoseconds, then a space and the padding when size > 0.
func AppendData(dst []byte, now time.Time, size int) []byte {
	dst = strconv.AppendInt(dst, now.UnixNano(), 10)
	if size > 0 {
		dst = append(dst, ' ')
		for range size {
			dst = append(dst, 'x')
		}
	}
	return dst
}

// PublishFunc publishes one event's data to Topic through a server's own
// API. It may keep data: every call gets a new slice.
type PublishFunc func(data []byte) error

// Publisher serves POST /publish: it answers 202 at once and publishes in
// the background, one run at a time (a second request meanwhile gets 409).
type Publisher struct {
	publish PublishFunc
	ctx     context.Context
	busy    atomic.Bool
	failed  atomic.Uint64
}

// NewPublisher returns a Publisher that publishes with fn until ctx ends.
func NewPublisher(ctx context.Context, fn PublishFunc) *Publisher {
	return &Publisher{publish: fn, ctx: ctx}
}

// Failed is the number of publish calls that returned an error.
func (p *Publisher) Failed() uint64 { return p.failed.Load() }

// ServeHTTP starts a paced run of the request's events.
func (p *Publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	req, err := ParsePublish(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !p.busy.CompareAndSwap(false, true) {
		http.Error(w, "a publish run is in progress", http.StatusConflict)
		return
	}
	go func() {
		defer p.busy.Store(false)
		p.run(req)
	}()
	w.WriteHeader(http.StatusAccepted)
}

// run publishes req.N events, the i-th at start + i/rate (a late event
// goes at once: the schedule does not drift with the publish's own cost).
func (p *Publisher) run(req Publish) {
	start := time.Now()
	interval := time.Second / time.Duration(req.Rate)
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	for i := range req.N {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			t.Reset(d)
			select {
			case <-t.C:
			case <-p.ctx.Done():
				return
			}
		} else if p.ctx.Err() != nil {
			return
		}
		data := AppendData(make([]byte, 0, 20+req.Size), time.Now(), req.Size)
		if err := p.publish(data); err != nil {
			p.failed.Add(1)
		}
	}
}
