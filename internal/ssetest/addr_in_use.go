package ssetest

import (
	"errors"
	"syscall"
	"time"
)

// RetryAddrInUse calls start until it returns an error other than
// EADDRINUSE, at most 50 times, 100ms apart, and returns its last result.
// A node restarted on the fixed address of a stopped one may find the port
// taken for a moment by another process's ephemeral port.
func RetryAddrInUse[T any](start func() (T, error)) (T, error) {
	v, err := start()
	for try := 0; errors.Is(err, syscall.EADDRINUSE) && try < 50; try++ {
		time.Sleep(100 * time.Millisecond)
		v, err = start()
	}
	return v, err
}
