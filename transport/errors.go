package transport

import "errors"

// Errors a caller of a Socket or Client can tell apart with errors.Is.
var (
	// ErrClosed is returned by Send and Recv after Close was called on the
	// same socket.
	ErrClosed = errors.New("sse transport: socket closed")
	// ErrMessageTooLarge is returned by Send, without sending anything, for
	// a message whose size (body plus every header key and value) exceeds
	// MaxMessageSize; the socket stays usable. A peer that receives such a
	// message (its MaxMessageSize is smaller) ends the connection and
	// returns an error wrapping ErrMessageTooLarge.
	ErrMessageTooLarge = errors.New("sse transport: message too large")
	// ErrConnectionLost means the connection to the peer broke: the event
	// stream ended without the server closing it, no data or heartbeat came
	// in time, a POST failed, or the server forgot the session. Errors
	// wrapping it carry the cause.
	ErrConnectionLost = errors.New("sse transport: connection lost")
	// ErrAcceptCalled is returned by a Listener's Accept called a second
	// time: one Accept serves every socket of the listener.
	ErrAcceptCalled = errors.New("sse transport: Accept called twice")
	// ErrNilMessage is returned by Recv into a nil message.
	ErrNilMessage = errors.New("sse transport: Recv into a nil message")
)

// errMalformed means a frame that does not follow the wire format.
var errMalformed = errors.New("sse transport: malformed message frame")
