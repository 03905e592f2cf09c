package ssetest

import (
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// JetStreamServer starts an embedded nats-server with JetStream on
// 127.0.0.1 (any port), storing in a temporary directory of the test, and
// shuts it down when the test ends. It returns the server's client URL.
func JetStreamServer(t testing.TB) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatalf("ssetest: nats-server: %v", err)
	}
	go ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(Timeout) {
		t.Fatal("ssetest: nats-server did not start")
	}
	return ns.ClientURL()
}

// NATSConn connects to url, reconnecting forever, and closes the
// connection when the test ends (after services started later stop).
func NATSConn(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("ssetest: nats connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}
