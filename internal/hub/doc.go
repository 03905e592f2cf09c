// Package hub is the log at the core of the module: topics, each topic's
// history as its log, and subscribers as positions in the logs of their
// topics. It assigns event ids, encodes each event once, appends it once,
// and wakes the subscribers that had read everything; it never copies an
// event per subscriber and never waits on one. The server and the broker of
// this module share one Hub (see Provider); its owner sets its Options when
// it makes it (New).
//
// # Ids
//
// Publish gives each event the next number of one sequence for the whole
// hub, across all topics, and the id "<epoch>-<seq>": epoch is 8 random
// characters of [0-9a-v] drawn by New, or the one given with WithEpoch (1
// to 16 of [0-9a-z]); seq is the number in lowercase base 36, e.g.
// "k3j9q0ab-2s". Ids are letters, digits and '-': safe in headers and CORS
// requests. They are opaque to clients; the hub compares ids of its own
// epoch by their number, so one Last-Event-ID places a client on every
// topic it follows.
//
// # The log and the readers
//
// A topic's log is a ring of shared entries (sequence, publish time,
// encoded frame); each entry has an absolute index that eviction does not
// move. A subscriber is its last sequence read and, per topic, the
// absolute index it reads next: a few words, whatever it is behind by.
// Read hands out, in id order merged across the subscriber's topics, the
// frames after its position, in bounded batches (512 frames, BatchBytes
// bytes): references to the log's own frames, which are never
// modified, so a server writes them as they are (one writev) and a
// connection holds of its own at most one batch, whatever the history
// holds and whatever Last-Event-ID it sent. Live delivery and replay are
// the same thing: reading forward. Publish appends under the hub's lock
// and wakes (Notify or a Waker) the subscribers of the topic whose last Read
// took everything; a Read takes the lock to fill one batch.
//
// A reader can fall behind as far as the history reaches: a burst is never
// a reason to end it while the events it lacks are held. When an event it
// has not read is evicted (count, bytes, age or budget), it is ended with
// ErrEvicted, counted (Stats.CutOffSlow) and notified; its client resumes
// with its last id and gets a reset at the gap. How far behind readers are
// is Lag: per topic, the age of the oldest event one has yet to read; how
// late a write is, TakeReadAge: the age of the newest live event it read.
//
// # Frames carry no transport framing
//
// A frame is the event's text/event-stream bytes, nothing else: the hub
// knows the codec, not HTTP. The server's shared writers frame each batch
// as one HTTP/1.1 chunk (a size line and CRLF around the batch's frames,
// two more iovecs per writev). Until December 2026 the log stored every
// frame inside its own chunk framing (one iovec per frame, no work per
// batch). The two were measured against each other and the limit server
// with examples/bench's loadgen (600 events at 100/s, CPU per delivered
// event, medians of 9 runs of each server in turn; two runs, 2 shared
// cores at load 10-17):
//
//	                          in the log   per batch         limit
//	1,000 x 100 ev/s, 100 B   3,867 ns     4,383 ns (1.13x)  4,433 ns
//	  second run              3,567 ns     3,833 ns (1.07x)  2,833 ns
//	  user part             283, 250 ns  333, 250 ns       233, 117 ns
//	500 x 4 KiB, 100 ev/s     6,100 ns     6,400 ns (1.05x)  6,033 ns
//	  second run              6,167 ns     6,433 ns (1.04x)  6,667 ns
//	  user part             467, 500 ns  533, 533 ns       367, 367 ns
//
// The runs of one server spread far wider than the difference (in the
// log: 2,017-4,967 and 2,950-4,633 ns at 1,000 x 100; 5,167-7,133 and
// 2,933-8,600 ns at 500 x 4 KiB), and the limit server measured slower
// than both in two of the four: the framing in the log did not win by
// more than the noise, so it left the log. On a quiet machine the
// difference may show as a few percent at live rates (one frame a batch:
// three iovecs instead of one); remeasure before putting it back.
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
// codec.ResetUnknownID if none does); an id of this hub's form and epoch is
// read as a hub id first.
//
// # Resume and the reset
//
// Subscribe(topics, lastEventID) places the subscriber after lastEventID,
// under the lock, so replay and live events meet with no gap and no
// duplicate. Outcomes (Resume):
//
//   - ResumeNone: no id given; live events only.
//   - ResumeExact: the id is placed; the events after it, then live.
//   - ResumeLost: not resumed exactly: another epoch (codec.ResetOtherEpoch),
//     events after it evicted from a subscribed topic (codec.ResetEvicted), a
//     publisher id not in history (codec.ResetUnknownID), garbage or a number
//     not reached (codec.ResetInvalid), more than MaxReplay events after it
//     (codec.ResetReplayLimit).
//
// The reset frame (type codec.ResetEventType, "sse-reset", data
// {"reason":"...","lastEventId":"..."}; codec exports both) stands where
// the gap is. Its id is the sequence of the gap's end: the highest
// sequence evicted from a subscribed topic (or the last one skipped by
// MaxReplay). The events the logs hold below it come first, then the reset,
// then everything after it; an id that cannot be placed at all counts as
// position 0. So on one stream ids strictly increase, resets included,
// with any number of topics; nothing the logs hold after the client's id
// is skipped; a client reconnecting from the reset's id resumes exactly,
// one reconnecting from an earlier id is told again.
//
// # Bounds and what zero means
//
// Per topic: HistoryEvents (default 10,000), HistoryBytes of encoded
// frames (default 8 MiB), HistoryAge (default 24h); over all topics:
// HistoryBudget bytes (default 64 MiB), the oldest events of the least
// recently published topic going first; per resume: MaxReplay events
// (default 10,000). Zero keeps nothing for the count and size bounds (no
// history, no replay) and means no bound for the age.
//
// A topic forgotten and created again cannot tell what it lost: it counts
// as evicted up to the highest sequence evicted from any forgotten topic,
// so a resume into it below that is ResumeLost (codec.ResetEvicted), never a
// silent gap.
//
// Topics are created on first use (or only with CreateTopic, with
// ExplicitTopics) and forgotten as soon as they have no subscriber and no
// history, so topic names from outside cannot grow memory without bound.
// Age expiry needs no goroutine per topic: topics holding history are kept
// in one list by last publish (also the budget's order), and one timer per
// hub frees the history of those whose newest event has expired (see
// sweep.go). Close stops it.
//
// # A log fed from outside (the JetStream seam)
//
// A hub made WithSource is fed by Append with records that carry the
// outside log's sequence (Publish returns ErrFed; a record at or below
// the last one is ignored with ErrStale); with WithEpoch the ids are the
// same on every node. The first record appended is where the local log
// starts. Where a subscriber's position lies below what a topic's local
// log holds (a resume from far back, or a reader behind eviction), the
// hub fetches the missing range from the Source in bounded batches, one
// in flight per subscriber, merges it in id order and continues from the
// local log; a range the Source no longer holds (ErrGone) gets the reset
// at its end; any other Source error ends the subscriber. An id above the
// last sequence appended (a client from a node that is ahead) is placed as
// it is and waits. MaxReplay counts the local log only.
//
// When the outside log lost events before the hub was fed them (its feed
// saw the sequence jump: limits or a deletion), the feed calls MarkLost
// with the last sequence lost. Their topics are unknown, so every topic's
// next entry carries the gap's end: a reader that has not read that far
// gets the reset there (codec.ResetEvicted, id of the gap's end) before the
// entry, once whatever its topics (a topic made later carries it too); a
// resume from below it is ResumeLost (codec.ResetEvicted), and it, like a
// reader behind eviction whose unread entries carried it, is filled from
// the Source up to the gap's end, gets the reset there, then the rest.
package hub
