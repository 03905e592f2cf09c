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
	// ErrInvalidTopic is returned (wrapped, with the reason) by Publish for
	// a topic name no hub takes (empty, longer than 256 bytes, not UTF-8,
	// holding a control character), in every mode, and by Subscribe for
	// an empty topic. It is the server's ErrInvalidTopic.
	ErrInvalidTopic error
	// ErrNilHandler is returned by Subscribe for a nil handler.
	ErrNilHandler = errors.New("sse broker: nil handler")
	// ErrNilMessage is returned by Publish for a nil message: nothing is
	// published.
	ErrNilMessage = errors.New("sse broker: nil message")
	// ErrHubOptions means hub options (MaxHistoryEvents, Base64Data, ...)
	// were given where they cannot apply: to Init (wrapped), since the hub
	// is made by NewBroker with the options given there and never changed
	// afterwards; and to a server serving this broker's hub
	// (sse.OwnHub; the server's Start returns it wrapped), since the hub's
	// owner, the broker, set them.
	ErrHubOptions = errors.New("sse: hub options given where they cannot apply: give them to ssebroker.NewBroker")
	// ErrNotAcknowledged is wrapped by Publish in JetStream mode when
	// JetStream did not acknowledge the message (no connection, no answer
	// within JetStreamPublishTimeout, refused). The message may still have
	// been stored when only the acknowledgement was lost.
	ErrNotAcknowledged = errors.New("sse broker: jetstream did not acknowledge the message")
	// ErrInvalidStream is returned by Connect for a JetStream stream name
	// that is not letters, digits, '_' and '-', or a JetStreamConfig that
	// names another stream.
	ErrInvalidStream = errors.New("sse broker: invalid jetstream stream name")
	// ErrStreamSubjects is returned by Connect when the stream (an existing
	// one, or the JetStreamConfig given) does not hold the subjects
	// "<stream>.*" (nor "<stream>.>"): topics could not be stored in it.
	ErrStreamSubjects = errors.New("sse broker: jetstream stream does not hold the topics' subjects")
	// ErrFeedStalled is returned (wrapped) by the broker's Ready while, with
	// the JetStream option, the node has not been up to the stream's end
	// for longer than JetStreamUnreadyAfter: its browsers may miss events.
	ErrFeedStalled = errors.New("sse broker: jetstream feed behind the stream")
	// ErrNoConnection is returned by Connect for JetStream with a nil
	// *nats.Conn.
	ErrNoConnection = errors.New("sse broker: no nats connection")
	// ErrIDTooLong is returned (wrapped) by Publish, in every mode, when
	// the hub keeps publisher ids (KeepPublisherIDs) and the message's
	// Sse-Id is longer than 256 bytes: no client could resume from it. It
	// is the server's ErrIDTooLong.
	ErrIDTooLong error
	// ErrUnknownTopic is returned (wrapped) by Publish, in every mode,
	// when the hub has ExplicitTopics, the topic was not created (the
	// server's CreateTopic) and no in-process subscription of this node
	// follows it: nobody could get the message. It is the server's
	// ErrUnknownTopic.
	ErrUnknownTopic error
	// ErrEventTooLarge is returned (wrapped) by Publish, in every mode,
	// for a message whose event, encoded, is larger than the hub's history
	// can hold (the smaller of MaxHistoryBytes and HistoryBudget, or 1 MiB
	// without history): it would be dropped at once and every reader
	// waiting for it cut off, so the message goes nowhere. It is the
	// server's ErrEventTooLarge.
	ErrEventTooLarge error
)

// The errors the broker shares with the hub, and so with the server: the
// same values, whichever package the caller names. Set here rather than
// in their declarations so that the documentation shows only the public
// names.
func init() {
	ErrInvalidTopic = hub.ErrInvalidTopic
	ErrIDTooLong = hub.ErrIDTooLong
	ErrUnknownTopic = hub.ErrUnknownTopic
	ErrEventTooLarge = hub.ErrEventTooLarge
}
