package server_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// nodes returns the nodes of service name in reg.
func nodes(reg registry.Registry, name string) []*registry.Node {
	svcs, err := reg.GetService(name)
	if err != nil {
		return nil
	}
	var ns []*registry.Node
	for _, s := range svcs {
		ns = append(ns, s.Nodes...)
	}
	return ns
}

func TestRegistersNodeWhileRunning(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	s := newServer(sse.EventsPath("/stream"), server.Metadata(map[string]string{"team": "web"}), server.Version("1.2.3"))
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "greeter", ID: "n1", Registry: reg})

	ns := nodes(reg, "greeter")
	if len(ns) != 1 {
		t.Fatalf("registered nodes = %d, want 1", len(ns))
	}
	n := ns[0]
	if n.Id != "greeter-n1" {
		t.Fatalf("node id = %q", n.Id)
	}
	if n.Address != svc.Addr() {
		t.Fatalf("node address = %q, want %q", n.Address, svc.Addr())
	}
	want := map[string]string{
		"protocol":    "sse",
		"server":      "sse",
		"broker":      "memory",
		"registry":    "memory",
		"transport":   "http",
		"events_path": "/stream",
		"team":        "web",
	}
	for k, v := range want {
		if n.Metadata[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, n.Metadata[k], v)
		}
	}
	svcs, _ := reg.GetService("greeter")
	if svcs[0].Version != "1.2.3" {
		t.Errorf("version = %q", svcs[0].Version)
	}
	// The events path answers where the registry says.
	st := ssetest.OpenT(t, ssetest.EventsURL("http://"+n.Address+n.Metadata["events_path"], "x"), "")
	st.Close()

	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if ns := nodes(reg, "greeter"); len(ns) != 0 {
		t.Fatalf("nodes after Stop = %+v", ns)
	}
}

func TestReregistersOnInterval(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	s := newServer(server.RegisterInterval(5*time.Millisecond), server.RegisterTTL(time.Minute))
	ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "again", Registry: reg})
	ns := nodes(reg, "again")
	if len(ns) != 1 {
		t.Fatalf("nodes = %d", len(ns))
	}
	// Someone (an expired TTL, a registry restart) drops the node: it comes back.
	if err := reg.Deregister(&registry.Service{Name: "again", Version: server.DefaultVersion, Nodes: ns}); err != nil {
		t.Fatal(err)
	}
	ssetest.Eventually(t, "node registered again", func() bool { return len(nodes(reg, "again")) == 1 })
}

func TestRegisterCheck(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	var healthy atomic.Bool
	var sawCtx atomic.Bool
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	s := newServer(
		server.Context(ctx),
		server.RegisterInterval(5*time.Millisecond),
		server.RegisterCheck(func(c context.Context) error {
			if c != nil && c.Value(key{}) == "v" {
				sawCtx.Store(true)
			}
			if !healthy.Load() {
				return errors.New("not ready")
			}
			return nil
		}),
	)
	ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "checked", Registry: reg})
	if len(nodes(reg, "checked")) != 0 {
		t.Fatal("registered although the check failed")
	}
	if !sawCtx.Load() {
		t.Fatal("RegisterCheck did not get the server's Context")
	}
	healthy.Store(true)
	ssetest.Eventually(t, "registered once healthy", func() bool { return len(nodes(reg, "checked")) == 1 })
	healthy.Store(false)
	ssetest.Eventually(t, "deregistered once unhealthy", func() bool { return len(nodes(reg, "checked")) == 0 })
}

// TestRegisterCheckPanic: a RegisterCheck that panics (user code, on the
// registrar's goroutine) counts as failing: the node is not registered,
// the process goes on, and once it passes the node is registered.
func TestRegisterCheckPanic(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	var healthy, panicked atomic.Bool
	s := newServer(
		server.RegisterInterval(5*time.Millisecond),
		server.WithLogger(newRecordingLogger()),
		server.RegisterCheck(func(context.Context) error {
			if !healthy.Load() {
				panicked.Store(true)
				panic("check of the user broke")
			}
			return nil
		}),
	)
	ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "panicky", Registry: reg})
	if !panicked.Load() || len(nodes(reg, "panicky")) != 0 {
		t.Fatal("registered although the check panicked")
	}
	healthy.Store(true)
	ssetest.Eventually(t, "registered once the check passes", func() bool { return len(nodes(reg, "panicky")) == 1 })
}

func TestAdvertise(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	s := newServer(server.Advertise("10.1.2.3:8443"))
	ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "adv", Registry: reg})
	ns := nodes(reg, "adv")
	if len(ns) != 1 || ns[0].Address != "10.1.2.3:8443" {
		t.Fatalf("nodes = %+v, want address 10.1.2.3:8443", ns)
	}
}

func TestInitWhileRunningRenamesNode(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	s := newServer(server.RegisterInterval(5 * time.Millisecond))
	ssetest.StartService(t, s, ssetest.ServiceOptions{Name: "old", Registry: reg})
	if err := s.Init(server.Name("new")); err != nil {
		t.Fatal(err)
	}
	ssetest.Eventually(t, "node under the new name only", func() bool {
		return len(nodes(reg, "new")) == 1 && len(nodes(reg, "old")) == 0
	})
}
