package broker

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// This file is where the JetStream side meets the hub (the seam of
// internal/hub): the hub made at each Connect with the stream's epoch, its
// start and the stream as the source of older events, and each consumed
// message appended to the hub's log with its stream sequence.

// feed is the consumer's handler: it appends one stored message to the
// hub's log with its stream sequence and hands it to the in-process
// subscriptions of its topic. A message already fed (a consumer restarted
// at a sequence the hub has) is ignored by the hub; a jump past sequences
// never fed is told to the hub (MarkLost).
func (b *sseBroker) feed(j *jetStream, h *hub.Hub, msg jetstream.Msg, meta *jetstream.MsgMetadata) {
	seq := meta.Sequence.Stream
	last := j.lastFed.Load()
	if seq <= last {
		return
	}
	defer func() {
		j.lastFed.Store(seq)
		j.fedAt.Store(time.Now().UnixNano())
	}()
	if seq > last+1 {
		// The consumer gets every message of the stream: a jump means the
		// stream dropped (last, seq) before this node read them (limits,
		// a deletion, while it was cut off). Their topics are unknown: the
		// hub resets every reader at the gap.
		if err := h.MarkLost(seq - 1); err != nil && !errors.Is(err, hub.ErrClosed) {
			j.log.Logf(logger.WarnLevel, "sse broker: jetstream stream %q: lost (%d, %d): %v", j.name, last, seq, err)
		}
		j.log.Logf(logger.InfoLevel, "sse broker: jetstream stream %q: sequences %d to %d were dropped before this node read them: its streams get sse-reset", j.name, last+1, seq-1)
	}
	e, ok := j.storedEvent(msg, meta, h.DataEncoding())
	if !ok {
		j.skipped.Add(1)
		j.log.Logf(logger.DebugLevel, "sse broker: jetstream stream %q: sequence %d: subject %q is no topic's", j.name, seq, msg.Subject())
		return
	}
	switch {
	case errors.Is(e.err, codec.ErrInvalidUTF8):
		b.skipBinary(e.topic, j.log, e.err) // for in-process subscribers only
	case e.err != nil:
		j.skipped.Add(1)
		j.log.Logf(logger.WarnLevel, "sse broker: jetstream stream %q: sequence %d on %q is no event: %v", j.name, seq, e.topic, e.err)
	default:
		_, err := h.Append(hub.Record{Topic: e.topic, Seq: e.seq, At: e.at, Event: e.event})
		if err != nil && !errors.Is(err, hub.ErrStale) && !errors.Is(err, hub.ErrUnknownTopic) {
			j.log.Logf(logger.WarnLevel, "sse broker: jetstream stream %q: sequence %d to %q: %v", j.name, seq, e.topic, err)
		}
	}
	b.mu.RLock()
	if ts := b.topics[e.topic]; ts != nil {
		if d := ts.deliver(e.topic, e.msg); d > 0 {
			b.stats.dropped.Add(d)
		}
	}
	b.mu.RUnlock()
}

// jetStreamSource is a hub's Source: the stream itself, read with that
// hub's data encoding.
type jetStreamSource struct {
	j   *jetStream
	hub *hub.Hub // set once, right after hub.New, before any Subscribe
}

// Fetch implements hub.Source with the stream (see fetchRange).
func (s *jetStreamSource) Fetch(ctx context.Context, r hub.Range) ([]hub.Record, error) {
	evs, err := s.j.fetchRange(ctx, r.Topics, r.After, r.UpTo, r.MaxEvents, r.MaxBytes, s.hub.DataEncoding())
	if errors.Is(err, errRangeGone) {
		return nil, errors.Join(hub.ErrGone, err)
	}
	if err != nil {
		return nil, err
	}
	out := make([]hub.Record, len(evs))
	for i, e := range evs {
		out[i] = hub.Record{Topic: e.topic, Seq: e.seq, At: e.at, Event: e.event}
	}
	return out, nil
}

// connectJetStream is Connect with the JetStream option; b.mu is held. It
// finds or creates the stream, makes a hub with the stream's epoch whose
// log starts after the stream's last sequence (older events come from the
// stream, jetStreamSource) and starts consuming. A connected broker is
// left as it is.
func (b *sseBroker) connectJetStream() error {
	if b.connected && b.hub != nil && !b.hub.Closed() {
		return nil
	}
	if b.js == nil {
		j, err := newJetStream(&b.opts)
		if err != nil {
			return err
		}
		b.js = j
	}
	j := b.js
	if err := j.open(); err != nil {
		return err
	}
	src := &jetStreamSource{j: j}
	h := hub.New(append(hubOptions(&b.opts), hub.WithEpoch(j.epoch), hub.WithSource(src), hub.WithStart(j.start))...)
	src.hub = h
	if b.hub != nil { // JetStream given to Init after NewBroker: its plain hub goes
		b.hub.Close()
	}
	b.hub = h
	b.current.Store(h)
	j.consume(h, func(m jetstream.Msg, meta *jetstream.MsgMetadata) { b.feed(j, h, m, meta) })
	b.connected = true
	return nil
}

// jetStreamSide returns the JetStream side while connected in JetStream
// mode, else nil.
func (b *sseBroker) jetStreamSide() *jetStream {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if !b.connected {
		return nil
	}
	return b.js
}

// publishJetStream is Publish in JetStream mode (see Publish).
func (b *sseBroker) publishJetStream(j *jetStream, topic string, m *mbroker.Message, opts []mbroker.PublishOption) error {
	var o mbroker.PublishOptions
	for _, opt := range opts {
		opt(&o)
	}
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if err := j.publish(ctx, topic, m); err != nil {
		return err
	}
	b.stats.published.Add(1)
	return nil
}
