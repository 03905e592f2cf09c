package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/logger"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// jetStream is the JetStream side of a broker made with the JetStream
// option: the stream every node publishes into, and this node's consumer
// of it, which feeds the broker's hub (see jetstream_feed.go) and its
// in-process subscriptions.
//
// # Consumer choice
//
// Each node reads the stream with a consumer of its own, made and watched
// by the node (see jetstream_consumer.go): ephemeral, in memory, one
// replica, no acks, with idle heartbeats, started at the sequence after the
// last one fed. Every node must see every event, in stream order, and the
// position that matters is the node's own log, not a cursor kept on the
// server: a durable consumer would add acks and a server-side state per
// node that a restarted node (with an empty hub) has no use for. nats.go's
// ordered consumer is not used: it recreates itself on its own terms (the
// same server, a fixed 10s per attempt, forever, holding the lock its Stop
// needs), so a node could stay behind silently and take seconds to stop.
type jetStream struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	name   string
	limits jetStreamLimits
	log    logger.Logger

	stream jetstream.Stream
	epoch  string
	// start is the stream sequence this node's log starts at (the stream's
	// last sequence + 1 when the broker first connected).
	start uint64

	lastFed atomic.Uint64 // the last stream sequence handed to the hub
	skipped atomic.Uint64 // stored messages that are not events of a topic
	feedState

	mu      sync.Mutex
	stopped chan struct{} // closed when the consume loop exits
	quit    chan struct{} // closed to end the consume loop
}

// jetStreamLimits are the stream settings of the JetStream options.
type jetStreamLimits struct {
	maxAge            time.Duration
	maxBytes          int64
	maxMsgsPerSubject int64
	publishTimeout    time.Duration
	fetchTimeout      time.Duration
	stallTimeout      time.Duration
	connectWait       time.Duration
	unreadyAfter      time.Duration
	replicas          int
	config            *jetstream.StreamConfig // JetStreamConfig, if given
}

// DefaultJetStreamPublishTimeout is how long Publish waits for JetStream's
// acknowledgement unless JetStreamPublishTimeout says otherwise.
const DefaultJetStreamPublishTimeout = 5 * time.Second

// defaultJetStreamFetchTimeout bounds one read of older events (a resume
// that reaches back past the node's log) and each stream look-up.
const defaultJetStreamFetchTimeout = 10 * time.Second

// newJetStream returns the JetStream side for the broker's options, or nil
// when the JetStream option is not set.
func newJetStream(o *mbroker.Options) (*jetStream, error) {
	c, ok := o.Context.Value(jetStreamKey{}).(jetStreamConn)
	if !ok {
		return nil, nil
	}
	if c.nc == nil {
		return nil, fmt.Errorf("sse broker: jetstream: %w", ErrNoConnection)
	}
	if !validStreamName(c.stream) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidStream, c.stream)
	}
	if cfg, ok := o.Context.Value(jetStreamConfigKey{}).(jetstream.StreamConfig); ok && cfg.Name != "" && cfg.Name != c.stream {
		return nil, fmt.Errorf("%w: the configuration given names %q, the JetStream option %q", ErrInvalidStream, cfg.Name, c.stream)
	}
	js, err := jetstream.New(c.nc)
	if err != nil {
		return nil, fmt.Errorf("sse broker: jetstream: %w", err)
	}
	return &jetStream{
		nc:        c.nc,
		js:        js,
		name:      c.stream,
		limits:    jetStreamLimitsFrom(o),
		log:       o.Logger,
		feedState: feedState{restartNow: make(chan string, 1)},
	}, nil
}

// validStreamName reports whether name can be a stream name and the first
// token of its subjects: letters, digits, '_' and '-'.
func validStreamName(name string) bool {
	if name == "" || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// open finds the stream, creating it when missing, and takes its epoch and
// the sequence this node's log starts at (its last sequence + 1). Each
// Connect calls it: the hub it makes starts there. While JetStream does not
// answer (a stream electing its leader, a server just lost, a meta group
// without a leader) it tries again, 250ms apart, until the connect wait
// has passed; a stream that cannot hold the topics is an error at once.
func (j *jetStream) open() error {
	deadline := time.Now().Add(j.limits.connectWait)
	for try := 1; ; try++ {
		s, err := j.lookUp(deadline)
		if err == nil {
			info := s.CachedInfo()
			if j.stream == nil { // set once: reads of older events may still use it
				j.stream = s
			}
			j.epoch = streamEpoch(info.Created)
			j.start = info.State.LastSeq + 1
			j.lastFed.Store(info.State.LastSeq)
			j.streamLast.Store(info.State.LastSeq)
			return nil
		}
		left := time.Until(deadline)
		if errors.Is(err, ErrStreamSubjects) || errors.Is(err, ErrInvalidStream) || left <= 0 {
			return fmt.Errorf("sse broker: jetstream stream %q (%d tries): %w", j.name, try, err)
		}
		j.log.Logf(logger.InfoLevel, "sse broker: jetstream stream %q: %v (trying again for %v)", j.name, err, left.Round(time.Millisecond))
		time.Sleep(min(openRetry, left))
	}
}

const (
	// openRetry is the wait between two look-ups of the stream in open.
	openRetry = 250 * time.Millisecond
	// openTry bounds one look-up while open will try again.
	openTry = 2 * time.Second
)

// lookUp makes one attempt to find or create the stream, bounded by the
// fetch timeout, or by openTry while open will try again before deadline.
func (j *jetStream) lookUp(deadline time.Time) (jetstream.Stream, error) {
	timeout := j.limits.fetchTimeout
	if time.Until(deadline) > 0 {
		timeout = min(timeout, openTry, time.Until(deadline))
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := j.js.Stream(ctx, j.name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		cfg := j.streamConfig()
		if !holdsTopics(cfg.Subjects, j.name) {
			return nil, fmt.Errorf("the configuration given holds %q, not %q: %w", cfg.Subjects, j.name+".*", ErrStreamSubjects)
		}
		s, err = j.js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another node was first
			s, err = j.js.Stream(ctx, j.name)
		}
	}
	if err != nil {
		return nil, err
	}
	if subjects := s.CachedInfo().Config.Subjects; !holdsTopics(subjects, j.name) {
		return nil, fmt.Errorf("it holds %q, not %q: %w", subjects, j.name+".*", ErrStreamSubjects)
	}
	return s, nil
}

// holdsTopics reports whether a stream with subjects holds every topic's
// subject of the stream called name.
func holdsTopics(subjects []string, name string) bool {
	return slices.Contains(subjects, name+".*") || slices.Contains(subjects, name+".>")
}

// streamConfig is the configuration of the stream the broker creates: the
// one given with JetStreamConfig (its name and subjects filled in when
// empty), else file storage, subjects "<stream>.*", the JetStreamMax...
// limits and JetStreamReplicas.
func (j *jetStream) streamConfig() jetstream.StreamConfig {
	if c := j.limits.config; c != nil {
		cfg := *c
		cfg.Name = j.name
		if len(cfg.Subjects) == 0 {
			cfg.Subjects = []string{j.name + ".*"}
		}
		return cfg
	}
	return jetstream.StreamConfig{
		Name:              j.name,
		Subjects:          []string{j.name + ".*"},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld,
		MaxAge:            j.limits.maxAge,
		MaxBytes:          orUnlimited(j.limits.maxBytes),
		MaxMsgsPerSubject: orUnlimited(j.limits.maxMsgsPerSubject),
		MaxMsgs:           -1,
		Replicas:          max(j.limits.replicas, 1),
	}
}

// messageID is the id JetStream deduplicates m by: the caller's
// Nats-Msg-Id header, else go-micro's message id (Micro-ID, set by
// micro.NewEvent and the go-micro client), else a new random one. A
// publish retried with the same id within the stream's duplicate window
// is stored once.
func messageID(m *mbroker.Message) string {
	for _, h := range []string{jetstream.MsgIDHeader, microIDHeader} {
		if id := m.Header[h]; id != "" {
			return id
		}
	}
	return uuid.NewString()
}

// microIDHeader is the header go-micro's client puts its message id in.
const microIDHeader = "Micro-ID"

// orUnlimited is n, or -1 (JetStream's "no limit") for n <= 0.
func orUnlimited(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// streamEpoch is the epoch of the ids of a stream created at t: its
// creation time in nanoseconds, base 36 (at most 13 characters of
// [0-9a-z]). A stream deleted and made again has another epoch, so the old
// ids are told apart (sse-reset, other-epoch); a node restart or a
// nats-server restart on the same store keeps it.
func streamEpoch(t time.Time) string {
	return strconv.FormatInt(max(t.UnixNano(), 1), 36)
}

// publish stores m under topic's subject and returns once JetStream has
// acknowledged it; any failure (no connection, no answer within the
// publish timeout, a stream that refuses it) wraps ErrNotAcknowledged.
// While the connection is not up, nothing is sent. A message sent whose
// acknowledgement was lost may still be stored (and delivered): it carries
// a message id (messageID), so publishing it again within the stream's
// duplicate window stores it once.
func (j *jetStream) publish(ctx context.Context, topic string, m *mbroker.Message) error {
	// Headers that would inject a field are refused here; a binary body is
	// stored (in-process subscribers get it) and each node decides, with
	// its hub's data encoding, whether browsers can.
	if _, err := codec.FromMessageFor(m, codec.DataBase64); err != nil {
		return fmt.Errorf("sse broker: publish to %q: %w", topic, err)
	}
	if topic == "" {
		return fmt.Errorf("sse broker: publish: %w", ErrInvalidTopic)
	}
	if err := hub.CheckTopic(topic); err != nil { // no node's hub would take it
		return fmt.Errorf("sse broker: publish: %w", err)
	}
	data, err := encodeEnvelope(m)
	if err != nil {
		return err
	}
	// nats.go holds what is published while it reconnects and sends it
	// later: refuse at once instead, so that an error while NATS is away
	// means the message goes nowhere.
	if !j.nc.IsConnected() {
		return fmt.Errorf("sse broker: publish to %q: %w: nats connection %s", topic, ErrNotAcknowledged, j.nc.Status())
	}
	ctx, cancel := context.WithTimeout(ctx, j.limits.publishTimeout)
	defer cancel()
	msg := &nats.Msg{Subject: Subject(j.name, topic), Data: data, Header: nats.Header{jetstream.MsgIDHeader: {messageID(m)}}}
	if _, err := j.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(j.name)); err != nil {
		return fmt.Errorf("sse broker: publish to %q: %w: %w", topic, ErrNotAcknowledged, err)
	}
	return nil
}
