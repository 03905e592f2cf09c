// Package service runs the go-micro services of the examples: it builds a
// service around a server, starts its Run in a goroutine and waits until it
// has started, and stops it in order.
package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go-micro.dev/v4"
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
)

// StartTimeout bounds how long a service may take to start or stop.
const StartTimeout = 30 * time.Second

// Running is a service whose Run goes on in a goroutine until Stop.
type Running struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Run builds a go-micro service around srv and c (the options in the order
// go-micro's globals need: server and client first, then broker, then
// registry; signals are the program's business, it stops its services in
// order), starts its Run in a goroutine and waits until the service has
// started, or Run failed, or StartTimeout passed.
func Run(srv server.Server, c client.Client, b broker.Broker, reg registry.Registry) (*Running, error) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	svc := micro.NewService(
		micro.Server(srv),
		micro.Client(c),
		micro.Broker(b),
		micro.Registry(reg),
		micro.HandleSignal(false),
		micro.Context(ctx),
		micro.AfterStart(func() error { close(started); return nil }),
	)
	r := &Running{name: srv.Options().Name, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = svc.Run()
	}()
	select {
	case <-started:
		return r, nil
	case <-r.done:
		cancel()
		return nil, fmt.Errorf("service %s: %w", r.name, r.err)
	case <-time.After(StartTimeout):
		return nil, errors.Join(fmt.Errorf("service %s did not start in time", r.name), r.Stop())
	}
}

// Stop ends Run and waits for it (at most StartTimeout); it returns Run's
// error.
func (r *Running) Stop() error {
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(StartTimeout):
		return fmt.Errorf("service %s did not stop in time", r.name)
	}
}
