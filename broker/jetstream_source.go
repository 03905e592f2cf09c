package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	mbroker "go-micro.dev/v4/broker"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// errRangeGone is what fetchRange returns when the stream no longer holds
// every event of the range asked for; the hub's Source maps it to the
// hub's own error (jetstream_feed.go).
var errRangeGone = errors.New("sse broker: jetstream no longer holds the range")

// storedEvent is one event read back from the stream.
type storedEvent struct {
	topic string
	seq   uint64
	at    time.Time
	event codec.Event
	msg   *mbroker.Message // the go-micro message the event came from
	err   error            // why it is no event for browsers
}

// fetchRange reads from the stream, in sequence order, the events of topics
// with a sequence in (after, upTo], at most max of them and, loosely, about
// maxBytes of data (it stops after the event that reaches it; 0: no byte
// bound); fewer than max with less data than maxBytes means the range is
// done. Events are read with the data encoding enc (see storedEvent). It uses a short-lived consumer filtered to the
// topics' subjects, starting at after+1, and deletes it when done.
//
// The range is gone (errRangeGone) when the stream's first sequence is
// above after+1 (age, bytes or count limits dropped older events), or, with
// a per-subject limit, when one of the topics holds as many events as the
// limit and its oldest is above after+1 (older ones of that topic may have
// been dropped). The second test may call a range gone that is not (a
// topic exactly at its limit): a reset, never a silent gap.
func (j *jetStream) fetchRange(ctx context.Context, topics []string, after, upTo uint64, max, maxBytes int, enc codec.DataEncoding) ([]storedEvent, error) {
	if upTo <= after || max <= 0 || len(topics) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, j.limits.fetchTimeout)
	defer cancel()
	subjects := make([]string, len(topics))
	for i, t := range topics {
		subjects[i] = Subject(j.name, t)
	}
	if err := j.checkHeld(ctx, subjects, after); err != nil {
		return nil, err
	}

	cfg := jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       after + 1,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		InactiveThreshold: j.limits.fetchTimeout,
	}
	if len(subjects) == 1 {
		cfg.FilterSubject = subjects[0]
	} else {
		cfg.FilterSubjects = subjects
	}
	cons, err := j.stream.CreateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("sse broker: jetstream fetch: %w", err)
	}
	defer func() {
		dctx, dcancel := context.WithTimeout(context.Background(), j.limits.fetchTimeout)
		_ = j.stream.DeleteConsumer(dctx, cons.CachedInfo().Name)
		dcancel()
	}()

	// pending is what the consumer has to deliver from after+1 to the end
	// of the stream as it was created: asking for no more than that makes
	// each fetch return as soon as its messages are in.
	pending := cons.CachedInfo().NumPending
	var out []storedEvent
	size := 0
	full := func() bool { return len(out) >= max || maxBytes > 0 && size >= maxBytes }
	for !full() && pending > 0 {
		n := int(min(uint64(max-len(out)), pending))
		batch, err := cons.Fetch(n, jetstream.FetchContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("sse broker: jetstream fetch: %w", err)
		}
		got, done := 0, false
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				continue
			}
			if done || meta.Sequence.Stream > upTo || full() {
				done = true
				continue // drain the batch
			}
			if e, ok := j.storedEvent(msg, meta, enc); ok && e.err == nil {
				out = append(out, e)
				size += len(e.event.Data)
			}
		}
		if err := batch.Error(); err != nil {
			return nil, fmt.Errorf("sse broker: jetstream fetch: %w", err)
		}
		if done || got == 0 {
			break
		}
		pending -= min(pending, uint64(got))
	}
	return out, nil
}

// checkHeld returns errRangeGone when the stream may no longer hold every
// event of subjects after after (see fetchRange).
func (j *jetStream) checkHeld(ctx context.Context, subjects []string, after uint64) error {
	info, err := j.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("sse broker: jetstream stream info: %w", err)
	}
	first := info.State.FirstSeq
	if info.State.Msgs == 0 {
		first = info.State.LastSeq + 1
	}
	if after+1 < first {
		return fmt.Errorf("%w: first held sequence %d, resume after %d", errRangeGone, first, after)
	}
	limit := info.Config.MaxMsgsPerSubject
	if limit <= 0 {
		return nil
	}
	for _, subj := range subjects {
		si, err := j.stream.Info(ctx, jetstream.WithSubjectFilter(subj))
		if err != nil {
			return fmt.Errorf("sse broker: jetstream stream info: %w", err)
		}
		if int64(si.State.Subjects[subj]) < limit {
			continue
		}
		oldest, err := j.stream.GetMsg(ctx, first, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sse broker: jetstream get: %w", err)
		}
		if oldest.Sequence > after+1 {
			return fmt.Errorf("%w: %s keeps its last %d events, the oldest at %d, resume after %d",
				errRangeGone, subj, limit, oldest.Sequence, after)
		}
	}
	return nil
}

// storedEvent maps one stored message to the event of its topic, with the
// hub's data encoding enc; ok is false for a message whose subject is not
// a topic's. e.err is set when the message is no
// event for browsers (a binary body in text mode: codec.ErrInvalidUTF8;
// headers that would inject a field); e.msg, the go-micro message, is
// still for in-process subscribers.
func (j *jetStream) storedEvent(msg jetstream.Msg, meta *jetstream.MsgMetadata, enc codec.DataEncoding) (e storedEvent, ok bool) {
	topic, ok := TopicOf(j.name, msg.Subject())
	if !ok {
		return storedEvent{}, false
	}
	e = storedEvent{topic: topic, seq: meta.Sequence.Stream, at: meta.Timestamp, msg: decodeStored(msg.Data(), msg.Headers())}
	ev, err := codec.FromMessageFor(e.msg, enc)
	if err != nil {
		e.err = err
		return e, true
	}
	e.event = *ev
	return e, true
}
