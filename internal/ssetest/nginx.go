package ssetest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NginxBinary is the nginx the tests run: Debian's package (installed in CI
// by .ci/run).
var NginxBinary = "/usr/sbin/nginx"

// NginxListen is the placeholder that Nginx replaces, in the configuration
// it is given, with the loopback address it chose ("127.0.0.1:port").
const NginxListen = "{{listen}}"

// Nginx runs nginx with httpConf as the content of its http block and
// returns the address ("127.0.0.1:port") it listens on once it accepts
// connections. httpConf holds one or more server blocks; every
// "{{listen}}" in it becomes that address (so `listen {{listen}};`). The
// helper adds what a test instance needs around it: every path (pid, logs,
// temporary files) inside t.TempDir(), the process as a non-daemon child
// of the test, one worker. nginx is stopped (SIGTERM, SIGKILL after
// Timeout) when the test ends, and its error log is printed when the test
// failed. The test is skipped when nginx is not installed outside CI and
// fails in CI (CI=true).
func Nginx(t testing.TB, httpConf string) string {
	t.Helper()
	if _, err := os.Stat(NginxBinary); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ssetest: nginx: %v (.ci/run installs Debian's nginx)", err)
		}
		t.Skipf("ssetest: nginx not installed: %v", err)
	}
	if !strings.Contains(httpConf, NginxListen) {
		t.Fatalf("ssetest: nginx configuration without %s", NginxListen)
	}
	dir := t.TempDir()
	var lastErr error
	// The port is chosen by binding it and closing it again: another
	// process may take it before nginx binds it, so retry a few times.
	for range 5 {
		addr, err := startNginx(t, dir, httpConf)
		if err == nil {
			return addr
		}
		lastErr = err
	}
	t.Fatalf("ssetest: nginx: %v", lastErr)
	return ""
}

// NginxProxy runs nginx as Debian's default configuration makes it a
// reverse proxy: `proxy_pass http://backend;` in `location /`, followed by
// the directives of extra (for example the proxy_set_header lines a README
// section asks for), and returns nginx's address.
func NginxProxy(t testing.TB, backend, extra string) string {
	t.Helper()
	return Nginx(t, fmt.Sprintf(`server {
	listen %s;
	location / {
		proxy_pass http://%s;
		%s
	}
}
`, NginxListen, backend, extra))
}

// startNginx runs one nginx on a free loopback port chosen now, and waits
// until it accepts connections or exits.
func startNginx(t testing.TB, dir, httpConf string) (string, error) {
	t.Helper()
	addr, err := freeLoopbackAddr()
	if err != nil {
		return "", err
	}
	user := ""
	if os.Geteuid() == 0 {
		// Workers of a root master run as nobody, who cannot enter the
		// test's temporary directory.
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
worker_processes 1;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path %[2]s/client_body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
%[3]s
}
`, user, dir, strings.ReplaceAll(httpConf, NginxListen, addr))
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		return "", err
	}
	errorLog := filepath.Join(dir, "error.log")
	_ = os.Remove(errorLog)
	cmd := exec.Command(NginxBinary, "-p", dir, "-c", file, "-e", errorLog,
		"-g", fmt.Sprintf("daemon off; pid %s; error_log %s info;", filepath.Join(dir, "nginx.pid"), errorLog))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(Timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(errorLog)
			return "", fmt.Errorf("exited before accepting on %s (%v): %s%s", addr, err, out.String(), log)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return "", fmt.Errorf("not accepting on %s after %v", addr, Timeout)
		}
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(Timeout):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("ssetest: nginx did not stop on SIGTERM within %v", Timeout)
		}
		if t.Failed() {
			log, _ := os.ReadFile(errorLog)
			t.Logf("nginx output: %s\nnginx error log:\n%s", out.String(), log)
		}
	})
	return addr, nil
}

// freeLoopbackAddr returns a loopback address whose port was free a moment
// ago.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", err
	}
	if addr == "" {
		return "", errors.New("no address")
	}
	return addr, nil
}
