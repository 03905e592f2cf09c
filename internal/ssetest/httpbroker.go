package ssetest

import (
	"net/http"
	"reflect"
	"testing"
	"unsafe"

	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/registry"
)

// HTTPBroker returns go-micro's default HTTP broker listening on loopback
// that finds the subscribers of a topic through reg (its registry).
//
// go-micro's HTTP broker keeps the keep-alive connections of its publishing
// client open forever (no idle timeout, not closed by Disconnect), and with
// them a goroutine on each side, which goleak reports. When the test ends
// (after services started later in the test have stopped, as cleanups run
// last-in first-out) the broker's client closes its idle connections, so a
// leak check stays exact. That client is an unexported field: it is reached
// by reflection, and the test fails if go-micro's layout changed.
func HTTPBroker(t testing.TB, reg registry.Registry) broker.Broker {
	t.Helper()
	b := broker.NewBroker(broker.Addrs("127.0.0.1:0"), broker.Registry(reg))
	v := reflect.ValueOf(b)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		t.Fatalf("ssetest: go-micro's HTTP broker is a %T, not a struct pointer", b)
	}
	f := v.Elem().FieldByName("c")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*http.Client]() {
		t.Fatalf("ssetest: go-micro's HTTP broker has no field c *http.Client")
	}
	t.Cleanup(func() {
		if c := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*http.Client); c != nil {
			c.CloseIdleConnections()
		}
	})
	return b
}
