package ssetest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsChildEnv is the variable that makes a test binary a nats-server:
// VerifyTestMain runs the server it describes (JSON natsChildConfig)
// instead of the tests.
const natsChildEnv = "SSETEST_NATS_CHILD"

// natsChildConfig is what a child nats-server is started with.
type natsChildConfig struct {
	Name        string   `json:"name"`
	ClientPort  int      `json:"client_port"`
	ClusterPort int      `json:"cluster_port"`
	StoreDir    string   `json:"store_dir"`
	Routes      []string `json:"routes"`
}

// runNATSChildIfAsked runs a nats-server and exits when the test binary
// was started as a NATS child (see NATSCluster); otherwise it returns at
// once. The server is up when the child writes "ready" on its stdout; the
// child ends when its stdin closes (the test process ended or Stop) or
// when it is killed.
func runNATSChildIfAsked() {
	raw := os.Getenv(natsChildEnv)
	if raw == "" {
		return
	}
	var c natsChildConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fmt.Fprintf(os.Stderr, "ssetest nats child: %v\n", err)
		os.Exit(2)
	}
	routes := make([]string, len(c.Routes))
	copy(routes, c.Routes)
	opts := &natsserver.Options{
		ServerName: c.Name,
		Host:       "127.0.0.1",
		Port:       c.ClientPort,
		JetStream:  true,
		StoreDir:   c.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		Cluster: natsserver.ClusterOpts{
			Name: "ssetest",
			Host: "127.0.0.1",
			Port: c.ClusterPort,
		},
		Routes: natsserver.RoutesFromStr(strings.Join(routes, ",")),
	}
	ns, err := natsserver.NewServer(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssetest nats child %s: %v\n", c.Name, err)
		os.Exit(2)
	}
	go ns.Start()
	if !ns.ReadyForConnections(Timeout) {
		fmt.Fprintf(os.Stderr, "ssetest nats child %s: not ready within %v\n", c.Name, Timeout)
		os.Exit(2)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it or dies
	ns.Shutdown()
	ns.WaitForShutdown()
	os.Exit(0)
}

// NATSCluster is a cluster of nats-servers with JetStream, each in a child
// process of the test binary (so that Kill is a real crash: SIGKILL),
// clustered with routes on 127.0.0.1, each storing in a directory of its
// own under t.TempDir(). The test binary's TestMain must be
// VerifyTestMain (it runs the children). Every child is killed when the
// test ends.
type NATSCluster struct {
	t       testing.TB
	servers []*natsChild
}

// natsChild is one server of a NATSCluster and its process while it runs.
type natsChild struct {
	cfg   natsChildConfig
	cmd   *exec.Cmd
	stdin io.Closer
	done  chan struct{} // closed when the process has exited
}

// StartNATSCluster starts n clustered servers (named n0, n1, ...) and
// waits until each accepts connections and JetStream answers (a meta
// leader is elected). It fails the test when that takes longer than
// Timeout.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	ports := freePorts(t, 2*n)
	c := &NATSCluster{t: t}
	routes := make([]string, n)
	for i := range n {
		routes[i] = "nats-route://127.0.0.1:" + strconv.Itoa(ports[n+i])
	}
	for i := range n {
		c.servers = append(c.servers, &natsChild{cfg: natsChildConfig{
			Name:        "n" + strconv.Itoa(i),
			ClientPort:  ports[i],
			ClusterPort: ports[n+i],
			StoreDir:    filepath.Join(t.TempDir(), "n"+strconv.Itoa(i)),
			Routes:      routes,
		}})
	}
	t.Cleanup(c.stopAll)
	for i := range n {
		c.Start(i)
	}
	c.WaitJetStream()
	return c
}

// freePorts returns n distinct loopback ports free a moment ago.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("ssetest: free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// Len is the number of servers.
func (c *NATSCluster) Len() int { return len(c.servers) }

// Name is the server name of server i (as JetStream reports leaders).
func (c *NATSCluster) Name(i int) string { return c.servers[i].cfg.Name }

// Index is the index of the server named name, or -1.
func (c *NATSCluster) Index(name string) int {
	for i, s := range c.servers {
		if s.cfg.Name == name {
			return i
		}
	}
	return -1
}

// URL is the client URL of server i.
func (c *NATSCluster) URL(i int) string {
	return "nats://127.0.0.1:" + strconv.Itoa(c.servers[i].cfg.ClientPort)
}

// URLs is every client URL, server first's first, then the others in
// order, comma-separated as nats.Connect takes them: a client connected
// with it (and nats.DontRandomize) is on server first while it runs.
func (c *NATSCluster) URLs(first int) string {
	urls := make([]string, 0, len(c.servers))
	for k := range c.servers {
		urls = append(urls, c.URL((first+k)%len(c.servers)))
	}
	return strings.Join(urls, ",")
}

// Connect connects to every server, server first's first, reconnecting
// forever 50ms apart, and closes the connection when the test ends.
func (c *NATSCluster) Connect(first int, opts ...nats.Option) *nats.Conn {
	c.t.Helper()
	opts = append([]nats.Option{
		nats.DontRandomize(), nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond),
		nats.ReconnectJitter(0, 0), nats.Timeout(time.Second),
	}, opts...)
	nc, err := nats.Connect(c.URLs(first), opts...)
	if err != nil {
		c.t.Fatalf("ssetest: connect to the nats cluster: %v", err)
	}
	c.t.Cleanup(nc.Close)
	return nc
}

// Start starts server i (again, after Kill or Stop: same ports, same
// store) and waits until it accepts connections.
func (c *NATSCluster) Start(i int) {
	c.t.Helper()
	s := c.servers[i]
	if s.cmd != nil {
		c.t.Fatalf("ssetest: nats server %s already runs", s.cfg.Name)
	}
	cfg, err := json.Marshal(s.cfg)
	if err != nil {
		c.t.Fatalf("ssetest: %v", err)
	}
	var lastErr error
	for try := 0; try < 50; try++ { // a port of a killed server may be held a moment
		if lastErr = c.startOnce(s, cfg); lastErr == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("ssetest: nats server %s: %v", s.cfg.Name, lastErr)
}

// startOnce starts the child of s and waits for its "ready".
func (c *NATSCluster) startOnce(s *natsChild, cfg []byte) error {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), natsChildEnv+"="+string(cfg))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line) == "ready"
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(done)
	}()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case ok := <-ready:
		if ok {
			s.cmd, s.stdin, s.done = cmd, stdin, done
			return nil
		}
	case <-timer.C:
	}
	_ = cmd.Process.Kill()
	stdin.Close()
	<-done
	return fmt.Errorf("did not start (%v)", cmd.ProcessState)
}

// Kill crashes server i (SIGKILL) and waits until its process is gone.
func (c *NATSCluster) Kill(i int) {
	c.t.Helper()
	c.end(i, syscall.SIGKILL)
}

// Stop shuts server i down gracefully (it hands its leaderships over) and
// waits until its process is gone.
func (c *NATSCluster) Stop(i int) {
	c.t.Helper()
	c.end(i, nil)
}

// end ends server i with sig (nil: closing its stdin, a clean shutdown).
func (c *NATSCluster) end(i int, sig os.Signal) {
	s := c.servers[i]
	if s.cmd == nil {
		return
	}
	if sig != nil {
		_ = s.cmd.Process.Signal(sig)
	}
	s.stdin.Close()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd, s.stdin, s.done = nil, nil, nil
}

// stopAll kills every server still running.
func (c *NATSCluster) stopAll() {
	for i := range c.servers {
		c.end(i, syscall.SIGKILL)
	}
}

// WaitJetStream waits until JetStream answers on every running server (its
// meta group has a leader) and a stream can be placed on all of them.
func (c *NATSCluster) WaitJetStream() {
	c.t.Helper()
	for i, s := range c.servers {
		if s.cmd == nil {
			continue
		}
		nc, err := nats.Connect(c.URL(i), nats.Timeout(time.Second))
		if err != nil {
			c.t.Fatalf("ssetest: connect to %s: %v", s.cfg.Name, err)
		}
		js, _ := jetstream.New(nc)
		var lastErr error
		deadline := time.Now().Add(Timeout)
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, lastErr = js.AccountInfo(ctx)
			cancel()
			if lastErr == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		nc.Close()
		if lastErr != nil {
			c.t.Fatalf("ssetest: jetstream on %s: %v", s.cfg.Name, lastErr)
		}
	}
	c.waitPlacement()
}

// waitPlacement waits until a stream can be placed on every running
// server (the meta group knows them all): it creates and deletes a small
// in-memory stream with that many replicas, trying again until Timeout.
func (c *NATSCluster) waitPlacement() {
	c.t.Helper()
	running := 0
	first := -1
	for i, s := range c.servers {
		if s.cmd != nil {
			running++
			if first < 0 {
				first = i
			}
		}
	}
	if running == 0 {
		return
	}
	nc, err := nats.Connect(c.URL(first), nats.Timeout(time.Second))
	if err != nil {
		c.t.Fatalf("ssetest: connect: %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	var lastErr error
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, lastErr = js.CreateStream(ctx, jetstream.StreamConfig{
			Name: "ssetest_placement", Subjects: []string{"ssetest_placement"}, Storage: jetstream.MemoryStorage, Replicas: running,
		})
		if lastErr == nil {
			lastErr = js.DeleteStream(ctx, "ssetest_placement")
		}
		cancel()
		if lastErr == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("ssetest: no stream placed on the %d servers within %v: %v", running, Timeout, lastErr)
}

// StreamLeader returns the index of the server leading stream (waiting, at
// most Timeout, until it has a leader), through the connection nc.
func (c *NATSCluster) StreamLeader(nc *nats.Conn, stream string) int {
	c.t.Helper()
	leader := -1
	if !c.waitStream(nc, stream, func(ci *jetstream.ClusterInfo) bool {
		leader = c.Index(ci.Leader)
		return leader >= 0
	}) {
		c.t.Fatalf("ssetest: stream %s has no leader after %v", stream, Timeout)
	}
	return leader
}

// WaitStreamCurrent waits (at most Timeout) until stream has a leader and
// every other replica is current, through the connection nc.
func (c *NATSCluster) WaitStreamCurrent(nc *nats.Conn, stream string) {
	c.t.Helper()
	if !c.waitStream(nc, stream, func(ci *jetstream.ClusterInfo) bool {
		current := ci.Leader != "" && len(ci.Replicas) == len(c.servers)-1
		for _, r := range ci.Replicas {
			current = current && r.Current && !r.Offline
		}
		return current
	}) {
		c.t.Fatalf("ssetest: stream %s not current on every server after %v", stream, Timeout)
	}
}

// waitStream looks stream up through nc every 50ms until ok holds for
// its cluster information, at most Timeout; it reports whether ok held.
func (c *NATSCluster) waitStream(nc *nats.Conn, stream string, ok func(*jetstream.ClusterInfo) bool) bool {
	c.t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatalf("ssetest: %v", err)
	}
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s, err := js.Stream(ctx, stream)
		cancel()
		if err == nil {
			if ci := s.CachedInfo().Cluster; ci != nil && ok(ci) {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
