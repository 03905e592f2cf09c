package broker

import mbroker "go-micro.dev/v4/broker"

// event is what an in-process handler receives.
type event struct {
	topic string
	msg   *mbroker.Message
	err   error
}

// Topic returns the topic the message was published to.
func (e *event) Topic() string { return e.topic }

// Message returns the message as published: its own header map, a body
// shared with the other handlers of the same publish (do not modify it).
func (e *event) Message() *mbroker.Message { return e.msg }

// Ack does nothing and returns nil: in-process delivery is at most once and
// nothing is redelivered.
func (e *event) Ack() error { return nil }

// Error returns the error the handler returned, for the broker's
// ErrorHandler; nil while the handler runs.
func (e *event) Error() error { return e.err }
