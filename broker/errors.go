package broker

import "errors"

// Errors a caller may need to tell apart, checked with errors.Is.
var (
	// ErrNotConnected is returned by Publish and Subscribe before Connect
	// and after Disconnect.
	ErrNotConnected = errors.New("sse broker: not connected")
	// ErrInvalidTopic is returned by Subscribe for an empty topic.
	ErrInvalidTopic = errors.New("sse broker: empty topic")
	// ErrNilHandler is returned by Subscribe for a nil handler.
	ErrNilHandler = errors.New("sse broker: nil handler")
)
