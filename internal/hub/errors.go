package hub

import "errors"

// Errors a caller of the hub tells apart with errors.Is.
var (
	// ErrUnknownTopic means the hub runs with ExplicitTopics and the topic
	// was not created with CreateTopic.
	ErrUnknownTopic = errors.New("sse: unknown topic")
	// ErrInvalidTopic means a topic name is empty, longer than maxTopicLen
	// bytes, not UTF-8 or holds a control character, or a subscription
	// names no topic.
	ErrInvalidTopic = errors.New("sse: invalid topic")
	// ErrClosed means the hub was closed: Publish, Append and Subscribe
	// refuse, and every subscriber ends with it once it has read what
	// the logs held.
	ErrClosed = errors.New("sse hub: closed")
	// ErrEvicted means the subscriber's position was evicted from a topic's
	// log before it read it (it fell further behind than history reaches):
	// it was ended, and its client should reconnect with its last event id,
	// which resumes with a reset event (codec.ResetEvicted) at the gap.
	ErrEvicted = errors.New("sse hub: subscriber fell behind the history, ended")
	// ErrUnsubscribed means the subscriber was closed by its owner.
	ErrUnsubscribed = errors.New("sse hub: unsubscribed")
	// ErrFed is returned by Publish on a hub fed from outside (WithSource):
	// its sequence is the outside log's, events come in through Append.
	ErrFed = errors.New("sse: the hub is fed from a log (JetStream): publish through the broker")
	// ErrStale is returned by Append for a record whose sequence is at or
	// below the last one appended: it is ignored (a redelivery).
	ErrStale = errors.New("sse hub: record at or below the last sequence appended")
	// ErrGone is what a Source returns (wrapped) when it no longer holds
	// every event of the range asked for; the hub then sends a reset
	// (codec.ResetEvicted) at the gap.
	ErrGone = errors.New("sse hub: range no longer held by the source")
	// errInvalidEpoch means an epoch given with WithEpoch is not 1 to
	// maxEpochLen characters of [0-9a-z]; New panics with it.
	errInvalidEpoch = errors.New("sse hub: invalid epoch")
	// ErrIDTooLong means Publish, with KeepPublisherIDs, got an event id
	// longer than MaxPublisherIDLen bytes: no client could resume from it.
	ErrIDTooLong = errors.New("sse: publisher id too long")
	// ErrEventTooLarge means Publish got an event whose frame (with its id
	// line) is larger than the history could hold (maxFrameBytes): it
	// would be evicted by the bound it was appended under, and every
	// reader waiting for it ended.
	ErrEventTooLarge = errors.New("sse: event larger than the history bounds")
)

// MaxPublisherIDLen is the longest publisher id (KeepPublisherIDs) Publish
// accepts, in bytes. A lastEventID longer than this is no id of the hub's
// (codec.ResetInvalid).
const MaxPublisherIDLen = 256
