package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// serverProc is a benchmark server binary started by the load generator,
// so that it knows its process id.
type serverProc struct {
	name   string // the binary's base name
	cmd    *exec.Cmd
	addr   string
	stderr bytes.Buffer
	done   chan struct{} // closed when the process was reaped
	err    error         // of Wait
}

// startTimeout bounds the start and the stop of a server.
const startTimeout = 30 * time.Second

// startServer starts the binary at path on a free loopback port and waits
// until it printed its address and answers GET /health. path may carry
// flags after spaces ("bin/ssemicro -jetstream"); they are passed on and
// join the server's name ("ssemicro-jetstream").
func startServer(path string) (*serverProc, error) {
	fields := strings.Fields(path)
	if len(fields) == 0 {
		return nil, errors.New("empty server")
	}
	path = fields[0]
	p := &serverProc{name: filepath.Base(path) + strings.Join(fields[1:], ""), done: make(chan struct{})}
	p.cmd = exec.Command(path, append(fields[1:], "-addr", "127.0.0.1:0")...)
	p.cmd.Stderr = &limitedWriter{w: &p.stderr, n: 64 << 10}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	addrc := make(chan string, 1)
	go func() {
		// The first line that is a host:port is the address; the rest of
		// stdout is read and dropped so the server never blocks on it.
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if _, _, err := net.SplitHostPort(line); !sent && err == nil {
				addrc <- line
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	select {
	case p.addr = <-addrc:
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening: %v: %s", p.name, p.err, p.stderr.String())
	case <-time.After(startTimeout):
		return nil, errors.Join(fmt.Errorf("%s printed no address in %v", p.name, startTimeout), p.stop())
	}
	if err := waitHealthy(p.url("/health")); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", p.name, err), p.stop())
	}
	return p, nil
}

// url is the http URL of path on the server.
func (p *serverProc) url(path string) string { return "http://" + p.addr + path }

// pid is the server's process id.
func (p *serverProc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, waits for the process (killing it after
// startTimeout) and returns its exit error, if any besides the signal.
func (p *serverProc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(startTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop on SIGTERM in %v", p.name, startTimeout)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) && !ee.Exited() {
		return nil // ended by the signal
	}
	return p.err
}

// waitHealthy polls url until it answers 200, at most startTimeout.
func waitHealthy(url string) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := c.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				c.CloseIdleConnections()
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// limitedWriter keeps the first n bytes written to w and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(b []byte) (int, error) {
	if l.n > 0 {
		k := min(len(b), l.n)
		l.n -= k
		_, _ = l.w.Write(b[:k])
	}
	return len(b), nil
}
