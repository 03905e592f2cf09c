package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go-micro.dev/v4/logger"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// This file is how a node consumes the stream and keeps consuming: one
// consumer at a time (a run), fed in order, watched against the stream,
// replaced by a new one at the sequence after the last one fed whenever it
// reports an error (the server's shutdown notice, a deleted consumer, lost
// heartbeats), stops, or lets the node fall behind the stream without
// progress for the stall timeout.
//
// The bound: a consumer error restarts consuming at once; lost heartbeats
// are noticed after 2 x consumerHeartbeat (2s); a feed behind the stream
// without progress after the stall timeout (default 3s) plus one check
// (1s), or after three stall timeouts while the stream does not answer. Each attempt to make a consumer is bounded by consumerCreate
// (1.5s) and they are retried at most maxConsumeRetry (1s) apart, so a
// node feeds again within seconds of the stream having a leader again
// (the cluster failover test checks 10s from the leader's crash).

const (
	// consumerHeartbeat is the idle heartbeat asked of the server: two
	// missed and the consumer is replaced.
	consumerHeartbeat = time.Second
	// consumerExpiry is how long each pull request of the consumer lives.
	consumerExpiry = 10 * time.Second
	// consumerInactive is how long the server keeps a consumer nobody
	// pulls from (one left behind by a restart or a crash).
	consumerInactive = 30 * time.Second
	// consumerCreate bounds each attempt to make a consumer (and the
	// stream look-up before it): one placed on a server that just died
	// never answers, the next one is placed anew.
	consumerCreate = 1500 * time.Millisecond
	// unknownStall is how many stall timeouts a node without progress
	// waits before it replaces its consumer while the stream does not
	// answer (an election: every node alike, and a consumer whose server
	// is gone is told by its heartbeats).
	unknownStall = 3
	// watchInterval is how often the feed's progress is checked.
	watchInterval = time.Second
	// maxConsumeRetry bounds the wait between two attempts to start
	// consuming.
	maxConsumeRetry = time.Second
	// logEveryFailures is how many failed tries to start consuming in a
	// row make one warning (the others are logged at debug level).
	logEveryFailures = 30
	// minRunGap is the least time between the starts of two consumers, so
	// that a consumer failing at once is not remade in a loop.
	minRunGap = 250 * time.Millisecond
)

// DefaultJetStreamStallTimeout is how long a node may stay behind the
// stream without feeding anything before it restarts consuming, unless
// JetStreamStallTimeout says otherwise.
const DefaultJetStreamStallTimeout = 3 * time.Second

// errStreamMadeAgain is what consuming logs while the stream was deleted
// and created again (another epoch) under a running node.
var errStreamMadeAgain = errors.New("sse broker: jetstream stream made again")

// feedState is what a node knows of its feed: the consumer run it feeds
// from and its progress against the stream.
type feedState struct {
	feedMu sync.Mutex // held while one message is fed
	run    *consumerRun

	restartNow chan string // a reason to replace the consumer now
	restarts   atomic.Uint64
	streamLast atomic.Uint64 // the stream's last sequence, as last seen
	streamAt   atomic.Int64  // unix ns: when streamLast was last seen
	fedAt      atomic.Int64  // unix ns: lastFed last advanced (or consuming started)
	behindAt   atomic.Int64  // unix ns: since when the node is known behind the stream or away from NATS; 0 while it keeps up
}

// consumerRun is one consumer the node feeds from. Once replaced it is
// stale: what it still delivers is dropped.
type consumerRun struct {
	name string
	dseq uint64 // the consumer sequence of the last message fed
}

// consume starts the consume loop at the sequence after the last one fed,
// and the judge of the node's readiness, which ends h's streams while the
// node is not ready; it is a no-op while they run. deliver gets every stored message once,
// in stream order.
func (j *jetStream) consume(h *hub.Hub, deliver func(jetstream.Msg, *jetstream.MsgMetadata)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.quit != nil {
		return
	}
	j.fedAt.Store(time.Now().UnixNano())
	j.behindAt.Store(0)
	j.quit = make(chan struct{})
	j.stopped = make(chan struct{})
	loopDone, judgeDone := make(chan struct{}), make(chan struct{})
	go j.loop(deliver, j.quit, loopDone)
	go j.judge(h, j.quit, judgeDone)
	go func(stopped chan struct{}) {
		<-loopDone
		<-judgeDone
		close(stopped)
	}(j.stopped)
}

// loop keeps a consumer running from lastFed+1 until quit is closed,
// replacing it whenever watch says so.
func (j *jetStream) loop(deliver func(jetstream.Msg, *jetstream.MsgMetadata), quit, stopped chan struct{}) {
	defer close(stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-quit:
			cancel()
		case <-ctx.Done():
		}
	}()

	wait, failures := time.Duration(0), 0
	for {
		if !sleepCtx(ctx, wait) {
			return
		}
		started := time.Now()
		run, cc, err := j.startConsumer(ctx, deliver)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait = min(max(2*wait, minRunGap), maxConsumeRetry)
			if errors.Is(err, context.DeadlineExceeded) {
				// Nobody answered for consumerCreate (a consumer placed on
				// a server just lost, no leader yet): the next try may be
				// placed elsewhere, at once.
				wait = minRunGap
			}
			level := logger.DebugLevel
			if failures%logEveryFailures == 1 { // the first, then one in logEveryFailures
				level = logger.WarnLevel
			}
			j.log.Logf(level, "sse broker: jetstream stream %q: consume from %d: %v (try %d, again in %v)", j.name, j.lastFed.Load()+1, err, failures, wait)
			continue
		}
		if failures > 0 || j.restarts.Load() > 0 {
			j.log.Logf(logger.InfoLevel, "sse broker: jetstream stream %q: consuming from %d (consumer %s)", j.name, j.lastFed.Load()+1, run.name)
		}
		failures = 0
		reason := j.watch(ctx, cc)
		j.stopRun(run, cc)
		if ctx.Err() != nil {
			if j.nc.IsConnected() {
				j.deleteConsumer(run.name)
			}
			return
		}
		j.restarts.Add(1)
		j.log.Logf(logger.WarnLevel, "sse broker: jetstream stream %q: consumer %s: %s: consuming again from %d", j.name, run.name, reason, j.lastFed.Load()+1)
		wait = max(minRunGap-time.Since(started), 0)
	}
}

// sleepCtx waits d, or less when ctx ends first; it reports whether ctx
// is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// startConsumer makes a consumer at lastFed+1 and starts it. A stream made
// again (deleted, then created: another epoch, sequences from 1) is not
// consumed: this node's hub has the old epoch, its ids would mean other
// events; it is logged until the node restarts.
func (j *jetStream) startConsumer(ctx context.Context, deliver func(jetstream.Msg, *jetstream.MsgMetadata)) (*consumerRun, jetstream.ConsumeContext, error) {
	ctx, cancel := context.WithTimeout(ctx, consumerCreate)
	defer cancel()
	info, err := j.stream.Info(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("stream info: %w", err)
	}
	if e := streamEpoch(info.Created); e != j.epoch {
		return nil, nil, fmt.Errorf("%w: epoch %s, this node serves %s: restart the node", errStreamMadeAgain, e, j.epoch)
	}
	j.sawStreamLast(info.State.LastSeq)
	cons, err := j.js.CreateConsumer(ctx, j.name, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       j.lastFed.Load() + 1,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: consumerInactive,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create consumer: %w", err)
	}
	run := &consumerRun{name: cons.CachedInfo().Name}
	j.feedMu.Lock()
	j.run = run
	select { // a reason left by the run before is no reason to end this one
	case <-j.restartNow:
	default:
	}
	j.feedMu.Unlock()
	cc, err := cons.Consume(j.deliverFrom(run, deliver),
		jetstream.PullHeartbeat(consumerHeartbeat),
		jetstream.PullExpiry(consumerExpiry),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) { j.consumerError(run, err) }))
	if err != nil {
		j.feedMu.Lock()
		j.run = nil
		j.feedMu.Unlock()
		return nil, nil, err
	}
	return run, cc, nil
}

// deliverFrom is the handler of run's consumer: it feeds each message in
// order and drops what run delivers once it is stale. A message whose
// consumer sequence is not the next one (one lost on the way) ends run:
// the next consumer starts at the sequence after the last one fed.
func (j *jetStream) deliverFrom(run *consumerRun, deliver func(jetstream.Msg, *jetstream.MsgMetadata)) func(jetstream.Msg) {
	return func(msg jetstream.Msg) {
		meta, err := msg.Metadata()
		if err != nil {
			j.log.Logf(logger.WarnLevel, "sse broker: jetstream stream %q: message without metadata: %v", j.name, err)
			return
		}
		j.feedMu.Lock()
		defer j.feedMu.Unlock()
		if j.run != run {
			return
		}
		if meta.Sequence.Consumer != run.dseq+1 {
			j.run = nil
			j.signal(fmt.Sprintf("consumer sequence %d after %d", meta.Sequence.Consumer, run.dseq))
			return
		}
		run.dseq = meta.Sequence.Consumer
		deliver(msg, meta)
		j.sawStreamLast(meta.Sequence.Stream + meta.NumPending)
	}
}

// consumerError logs an error of run's consumer at warn level and, while
// run is the current one, has it replaced.
func (j *jetStream) consumerError(run *consumerRun, err error) {
	j.log.Logf(logger.WarnLevel, "sse broker: jetstream stream %q: consumer %s: %v", j.name, run.name, err)
	j.feedMu.Lock()
	defer j.feedMu.Unlock()
	if j.run == run {
		j.signal(err.Error())
	}
}

// signal asks the loop to replace the consumer; j.feedMu is held.
func (j *jetStream) signal(reason string) {
	select {
	case j.restartNow <- reason:
	default: // one reason is enough
	}
}

// watch returns why cc must be replaced: a signal, cc closed, or no
// progress while the stream is ahead for the stall timeout (while it does
// not answer, for unknownStall times that). It returns "" when ctx ends.
func (j *jetStream) watch(ctx context.Context, cc jetstream.ConsumeContext) string {
	tick := time.NewTicker(watchInterval)
	defer tick.Stop()
	closed := cc.Closed()
	fed := j.lastFed.Load()
	progress := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ""
		case reason := <-j.restartNow:
			return reason
		case <-closed:
			return "consuming stopped"
		case <-tick.C:
		}
		now := time.Now()
		if f := j.lastFed.Load(); f != fed {
			fed, progress = f, now
			continue
		}
		last, err := j.streamLastSeq(ctx)
		stalled := now.Sub(progress)
		switch {
		case err == nil && last <= fed:
			progress = now
		case err == nil && stalled >= j.limits.stallTimeout:
			return fmt.Sprintf("no progress for %v (fed %d, stream at %d)", stalled.Round(time.Millisecond), fed, last)
		case err != nil && stalled >= unknownStall*j.limits.stallTimeout:
			// The stream does not answer (an election: the consumer may
			// be fine and heartbeats tell when it is not), for long.
			return fmt.Sprintf("no progress for %v and the stream does not answer (%v)", stalled.Round(time.Millisecond), err)
		}
	}
}

// streamLastSeq asks the stream for its last sequence (and records it).
func (j *jetStream) streamLastSeq(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, watchInterval)
	defer cancel()
	info, err := j.stream.Info(ctx)
	if err != nil {
		return 0, err
	}
	j.sawStreamLast(info.State.LastSeq)
	return info.State.LastSeq, nil
}

// sawStreamLast records last as the stream's last sequence, seen now.
func (j *jetStream) sawStreamLast(last uint64) {
	j.streamLast.Store(last)
	j.streamAt.Store(time.Now().UnixNano())
}

// stopRun makes run stale and stops its consumer, waiting at most a
// second for it to close (a consumer whose server is gone may not say).
func (j *jetStream) stopRun(run *consumerRun, cc jetstream.ConsumeContext) {
	j.feedMu.Lock()
	if j.run == run {
		j.run = nil
	}
	j.feedMu.Unlock()
	cc.Stop()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-cc.Closed():
	case <-t.C:
	}
}

// deleteConsumer deletes the consumer called name, giving up after a
// second (the server drops it anyway after consumerInactive).
func (j *jetStream) deleteConsumer(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = j.js.DeleteConsumer(ctx, j.name, name)
}

// stop ends the consume loop and waits for it (and for the delivery in
// progress) to end: about two seconds at most, whatever the consumer's
// state. It is a no-op when none runs.
func (j *jetStream) stop() {
	j.mu.Lock()
	quit, stopped := j.quit, j.stopped
	j.quit, j.stopped = nil, nil
	j.mu.Unlock()
	if quit == nil {
		return
	}
	close(quit)
	<-stopped
}
