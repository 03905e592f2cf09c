package broker

import (
	"errors"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// Errors a caller may need to tell apart, checked with errors.Is.
var (
	// ErrNotConnected is returned by Publish and Subscribe before Connect
	// and after Disconnect.
	ErrNotConnected = errors.New("sse broker: not connected")
	// ErrInvalidTopic is returned by Subscribe for an empty topic.
	ErrInvalidTopic = errors.New("sse broker: empty topic")
	// ErrNilHandler is returned by Subscribe for a nil handler.
	ErrNilHandler = errors.New("sse broker: nil handler")
	// ErrHubMade is returned by Init when it is given hub options
	// (MaxHistoryEvents, Base64Data, ...): the hub is made by NewBroker
	// with the options given there, and never changed afterwards.
	ErrHubMade = errors.New("sse broker: hub options must be given to NewBroker")
	// ErrIDTooLong is returned (wrapped) by Publish when the server
	// serving the hub keeps publisher ids (KeepPublisherIDs) and the
	// message's Sse-Id is longer than the server's MaxPublisherIDLength:
	// no client could resume from it. It is the server's ErrIDTooLong.
	ErrIDTooLong = hub.ErrIDTooLong
)
