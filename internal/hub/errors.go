package hub

import "errors"

// Errors a caller of the hub tells apart with errors.Is.
var (
	// ErrUnknownTopic means the hub runs with ExplicitTopics and the topic
	// was not created with CreateTopic.
	ErrUnknownTopic = errors.New("sse hub: unknown topic")
	// ErrInvalidTopic means a topic name is empty, longer than MaxTopicLen
	// bytes, not UTF-8 or holds a control character, or a subscription
	// names no topic.
	ErrInvalidTopic = errors.New("sse hub: invalid topic")
	// ErrClosed means the hub was closed: Publish and Subscribe refuse, and
	// every subscriber ends with it.
	ErrClosed = errors.New("sse hub: closed")
	// ErrSlow means the subscriber's queue was full when an event came: it
	// was cut off (its pending frames dropped) and should reconnect, resuming
	// from history with its last event id.
	ErrSlow = errors.New("sse hub: subscriber too slow, cut off")
	// ErrUnsubscribed means the subscriber was closed by its owner.
	ErrUnsubscribed = errors.New("sse hub: unsubscribed")
	// ErrIDTooLong means Publish, with KeepPublisherIDs, got an event id
	// longer than MaxPublisherIDLen bytes: no client could resume from it.
	ErrIDTooLong = errors.New("sse hub: publisher id too long")
)

// MaxPublisherIDLen is the longest publisher id (KeepPublisherIDs) Publish
// accepts, in bytes. A lastEventID longer than this is no id of the hub's
// (ReasonInvalid).
const MaxPublisherIDLen = 256
