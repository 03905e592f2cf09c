package codec

// The reset event: the reserved event a server of this module sends when it
// cannot resume a stream exactly from the client's Last-Event-ID. Its data is
// JSON, {"reason":"<one of the Reset reasons>","lastEventId":"<the id the
// client sent>"}; its id is an id the client can resume from. It stands in
// the stream where the events the client missed would have been: the events
// before the gap, then the reset, then what follows. A browser sees it with
// source.addEventListener(ResetEventType, ...); a Go client compares
// Event.Event with ResetEventType. Publishers should not use this type.
const ResetEventType = "sse-reset"

// Reasons of a reset event (its data's "reason").
const (
	// ResetOtherEpoch: the id is of another epoch (a previous run of the
	// server, or another node without a shared log).
	ResetOtherEpoch = "other-epoch"
	// ResetEvicted: events after the id have left the history (count,
	// bytes, age or hub-wide budget), or the shared log no longer holds
	// them.
	ResetEvicted = "evicted"
	// ResetUnknownID: with publisher ids kept, an id that no event in the
	// history carries.
	ResetUnknownID = "unknown-id"
	// ResetInvalid: not an id the server could have given (garbage, or a
	// sequence number it has not reached).
	ResetInvalid = "invalid-id"
	// ResetReplayLimit: more events followed the id than one resume may
	// replay; the oldest were skipped.
	ResetReplayLimit = "replay-limit"
)
