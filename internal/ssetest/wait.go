package ssetest

import (
	"testing"
	"time"
)

// Timeout bounds every wait of this package. It is generous because tests
// run on a shared, noisy machine: a wait that reaches it is a failure, never
// a measurement.
var Timeout = 20 * time.Second

// Eventually polls cond until it returns true and fails the test (with what)
// when Timeout passes first.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("ssetest: timed out after %v waiting for %s", Timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Recv receives one value from ch and fails the test (with what) when
// Timeout passes first or ch is closed.
func Recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("ssetest: channel closed while waiting for %s", what)
		}
		return v
	case <-timer.C:
		t.Fatalf("ssetest: timed out after %v waiting for %s", Timeout, what)
	}
	panic("unreachable")
}

// Wait waits for done to be closed and fails the test (with what) when
// Timeout passes first.
func Wait(t testing.TB, done <-chan struct{}, what string) {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("ssetest: timed out after %v waiting for %s", Timeout, what)
	}
}

func afterTimeout() <-chan time.Time { return time.After(Timeout) }
