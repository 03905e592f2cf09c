package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go-micro.dev/v4/broker"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
)

var (
	jetStreamFlag = flag.Bool("jetstream", false, "feed the hub from NATS JetStream: a nats-server with JetStream in a child process (this binary), so that the node's CPU is its own")
	natsStoreFlag = flag.String("nats-store", "", "run as the child: only a nats-server with JetStream storing in this directory; print its URL")
)

// jetStreamBroker starts the nats-server child, connects to it and returns
// the SSE broker fed by its stream "bench", and what stops it all.
func jetStreamBroker() (broker.Broker, func(), error) {
	dir, err := os.MkdirTemp("", "ssemicro-nats-")
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(os.Args[0], "-nats-store", dir)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives this process
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("nats-server child: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		stop()
		return nil, nil, fmt.Errorf("nats-server child printed no URL")
	}
	url := strings.TrimSpace(sc.Text())
	go func() { _, _ = io.Copy(io.Discard, out) }()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1))
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("nats connect %s: %w", url, err)
	}
	return ssebroker.NewBroker(ssebroker.JetStream(nc, "bench")), func() { nc.Close(); stop() }, nil
}

// runNATSServer is the child: a nats-server with JetStream on 127.0.0.1
// storing in dir, until ctx ends.
func runNATSServer(ctx context.Context, dir string) error {
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
	})
	if err != nil {
		return err
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return fmt.Errorf("nats-server did not start")
	}
	fmt.Println(ns.ClientURL())
	<-ctx.Done()
	ns.Shutdown()
	ns.WaitForShutdown()
	return nil
}
