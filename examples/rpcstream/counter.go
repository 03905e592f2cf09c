package main

import (
	"context"
	"strconv"
	"sync"
	"time"

	merrors "go-micro.dev/v4/errors"
	"go-micro.dev/v4/server"

	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// Counter is an ordinary go-micro handler struct: mounted with
// srv.Handle(srv.NewHandler(&Counter{})) on the SSE server, its stream
// method Count is an SSE endpoint (GET /rpc/Counter.Count) and Add a JSON
// one (POST /rpc/Counter.Add).
type Counter struct {
	mu      sync.Mutex
	resumes []string // the Last-Event-ID of each Count call, for the tests
}

// CountRequest asks for the numbers 1 to To, one every EveryMs.
type CountRequest struct {
	To      int `json:"to"`
	EveryMs int `json:"every_ms"`
}

// Number is one event of Count.
type Number struct {
	N int `json:"n"`
}

// Count sends the numbers 1 to req.To, one every req.EveryMs
// milliseconds. The stream numbers its events 1, 2, ... and a browser that
// reconnects sends the last one it got as Last-Event-ID: Count resumes
// after it, so the browser misses nothing and gets nothing twice.
func (c *Counter) Count(ctx context.Context, stream server.Stream) error {
	var req CountRequest
	if err := stream.Recv(&req); err != nil {
		return err
	}
	last := sse.LastEventID(ctx)
	c.mu.Lock()
	c.resumes = append(c.resumes, last)
	c.mu.Unlock()
	from, _ := strconv.Atoi(last) // "" on a first connection: from 0
	every := time.Duration(req.EveryMs) * time.Millisecond
	for n := from + 1; n <= req.To; n++ {
		if every > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(every):
			}
		}
		if err := stream.Send(&Number{N: n}); err != nil {
			return err
		}
	}
	return nil
}

// AddRequest holds the numbers to add.
type AddRequest struct {
	Numbers []int `json:"numbers"`
}

// Sum is the answer of Add.
type Sum struct {
	Sum int `json:"sum"`
}

// Add answers the sum of the numbers; none is a bad request.
func (c *Counter) Add(ctx context.Context, req *AddRequest, rsp *Sum) error {
	if len(req.Numbers) == 0 {
		return merrors.BadRequest("counter", "no numbers")
	}
	for _, n := range req.Numbers {
		rsp.Sum += n
	}
	return nil
}

// Resumes returns the Last-Event-ID each Count call was given.
func (c *Counter) Resumes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.resumes...)
}
