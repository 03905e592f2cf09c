package transport

import (
	"fmt"
	"os"
	"sync"
	"time"

	"go-micro.dev/v4/transport"
)

// inboxSize bounds the messages received but not yet taken by Recv. When it
// is full the receiving side stops reading, which pushes back on the sender.
const inboxSize = 1024

// inbox is the ordered queue between the goroutine that reads the wire and
// Recv. It has one producer at a time; finish marks the end of input, after
// which Recv still returns what was queued before the end.
type inbox struct {
	ch   chan *transport.Message
	done chan struct{}
	once sync.Once
	err  error // set before done is closed
}

func newInbox() *inbox {
	return &inbox{ch: make(chan *transport.Message, inboxSize), done: make(chan struct{})}
}

// put queues m, blocking while the inbox is full. It reports false, dropping
// m, once the inbox is finished or stop is closed.
func (b *inbox) put(m *transport.Message, stop <-chan struct{}) bool {
	select {
	case <-b.done:
		return false
	default:
	}
	select {
	case b.ch <- m:
		return true
	case <-b.done:
		return false
	case <-stop:
		return false
	}
}

// finish ends the input with err (the first call wins).
func (b *inbox) finish(err error) {
	b.once.Do(func() {
		b.err = err
		close(b.done)
	})
}

// get returns the next message. It returns ErrClosed once closed is closed,
// the finishing error once the queue is drained after finish, and an error
// wrapping os.ErrDeadlineExceeded after timeout (when positive), which
// leaves the socket usable.
func (b *inbox) get(closed <-chan struct{}, timeout time.Duration) (*transport.Message, error) {
	select {
	case <-closed:
		return nil, ErrClosed
	default:
	}
	select {
	case m := <-b.ch:
		return m, nil
	default:
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case m := <-b.ch:
		return m, nil
	case <-b.done:
		select {
		case m := <-b.ch:
			return m, nil
		default:
			return nil, b.err
		}
	case <-closed:
		return nil, ErrClosed
	case <-expired:
		return nil, fmt.Errorf("sse transport: recv: no message within %v: %w", timeout, os.ErrDeadlineExceeded)
	}
}
