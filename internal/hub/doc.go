// Package hub holds topics, their bounded history and their subscribers:
// it assigns event ids, encodes each event once and fans the frame out to
// subscriber queues without ever waiting on a subscriber. The server and
// the broker of this module share one Hub (see Provider).
//
// # Ids
//
// Publish gives each event the next number of one sequence for the whole
// hub, across all topics, and the id "<epoch>-<seq>": epoch is 8 random
// characters of [0-9a-v] drawn by New (Epoch returns it), seq is the number
// in lowercase base 36, e.g. "k3j9q0ab-2s". Ids are letters, digits and
// '-': safe in headers and CORS requests. They are opaque to clients; the
// hub compares ids of its own epoch by their number, so one Last-Event-ID
// places a client on every topic it follows.
//
// # Ordering
//
// Publish assigns the id, appends to history and puts the frame in every
// subscriber queue under one lock (the publish lock), so each queue
// receives events in id order, across topics. Work outside the lock:
// validating and encoding the frame (once per publish; subscribers and
// history share the same bytes, queues hold references), and the id string
// returned. Per delivery the lock costs one append to the subscriber's
// queue under its own small mutex.
//
// # Publisher ids (KeepPublisherIDs)
//
// With KeepPublisherIDs, an Event.ID given to Publish (from the Sse-Id
// header) is the event's id on the wire; events without one get a hub id.
// The hub still numbers every event in its sequence, and that number, not
// the publisher's id, orders delivery: events reach subscribers in the
// order Publish was called, whatever their ids. The hub never parses or
// compares publisher ids and does not deduplicate them. A Last-Event-ID
// that is not a hub id of this epoch resumes after the newest event in the
// subscribed topics' history that carries it (ResumeLost with
// ReasonUnknownID if none does); an id of this hub's form and epoch is
// read as a hub id first. So publisher ids should be unique and published
// in the order clients should see them (for instance a stream sequence fed
// by one consumer).
//
// # Resume
//
// Subscribe(topics, lastEventID) registers the subscriber and queues the
// replay of history after lastEventID under the publish lock, so replay
// and live events meet with no gap and no duplicate. Outcomes (Resume):
//
//   - ResumeNone: no id given; live events only.
//   - ResumeExact: the id is placed; the events after it, then live.
//   - ResumeLost: the id cannot be placed: another epoch
//     (ReasonOtherEpoch), events after it evicted from a subscribed
//     topic's history (ReasonEvicted), a publisher id not in history
//     (ReasonUnknownID), garbage or a number not reached (ReasonInvalid).
//     The first frame is an event of type ResetEventType ("sse-reset")
//     with data {"reason":"...","lastEventId":"..."}, then everything the
//     topics' history still holds, then live. The reset frame's id is a
//     hub id from which a reconnect resumes exactly, so a browser that
//     drops right after it does not get a second reset.
//
// # Bounds
//
// History, per topic: HistoryEvents (default 10,000), HistoryBytes of
// encoded frames (default 8 MiB) and HistoryAge (default 24h), oldest
// events evicted first. Queue, per subscriber: QueueFrames (default 1024)
// and QueueBytes (default 4 MiB) of live frames; a replay is bounded by
// history instead. A publish that finds a queue full cuts that subscriber
// off: its pending frames are dropped, Drain returns ErrSlow, it is counted
// in Stats.CutOffSlow, and its client should reconnect with its last id and
// resume from history.
//
// A topic forgotten and created again cannot tell what it lost: it counts
// as evicted up to the highest sequence evicted from any forgotten topic,
// so a resume into it below that is ResumeLost (ReasonEvicted), never a
// silent gap.
//
// Topics are created on first use (or only with CreateTopic, with
// ExplicitTopics) and forgotten as soon as they have no subscriber and no
// history, so topic names from outside cannot grow memory without bound.
// Age expiry needs no goroutine per topic: topics holding history are kept
// in one list by last publish, and one timer per hub frees the history of
// those whose newest event has expired (see sweep.go). Close stops it.
//
// # Readers
//
// A reader waits on Ready (or a Notify callback, which lets a server avoid
// a goroutine per subscriber), then calls Drain, which appends all pending
// frames to its buffer: one write and one flush for everything pending.
//
// # Hooks
//
// OnSubscribe and OnUnsubscribe are queued under the publish lock and
// called after it is released, one at a time and in order; Subscribe and
// Subscriber.Close return after their hook calls are made.
package hub
