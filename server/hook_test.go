package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// recordingLogger is a go-micro logger that keeps what is logged, with
// its fields (go-micro's default logger prints to stdout whatever its
// options say).
type recordingLogger struct {
	mu     *sync.Mutex
	b      *bytes.Buffer
	fields map[string]any
	level  logger.Level // the level it reports in Options (default info)
}

func newRecordingLogger() *recordingLogger {
	return &recordingLogger{mu: new(sync.Mutex), b: new(bytes.Buffer)}
}

func (l *recordingLogger) Init(...logger.Option) error { return nil }
func (l *recordingLogger) Options() logger.Options     { return logger.Options{Level: l.level} }
func (l *recordingLogger) String() string              { return "recording" }
func (l *recordingLogger) Fields(f map[string]any) logger.Logger {
	n := &recordingLogger{mu: l.mu, b: l.b, fields: maps.Clone(l.fields), level: l.level}
	if n.fields == nil {
		n.fields = map[string]any{}
	}
	maps.Copy(n.fields, f)
	return n
}
func (l *recordingLogger) Log(level logger.Level, v ...any) { l.Logf(level, "%s", fmt.Sprint(v...)) }
func (l *recordingLogger) Logf(level logger.Level, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.b, "%s %v %s\n", level, l.fields, fmt.Sprintf(format, v...))
}

// Text returns everything logged so far.
func (l *recordingLogger) Text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// panicking returns a hook that panics on topic "boom".
func panicking(calls *atomic.Int32) sse.StreamFunc {
	return func(_ *http.Request, topics []string) {
		calls.Add(1)
		if topics[0] == "boom" {
			panic("hook of the user broke")
		}
	}
}

// TestHookPanicsEndOnlyTheirStream: a panic in Authorize, OnSubscribe or
// OnUnsubscribe is logged with the topic and a stack, ends that stream and
// releases its slot (MaxConnections(1): the next stream is served), and the
// server goes on.
func TestHookPanicsEndOnlyTheirStream(t *testing.T) {
	for _, hook := range []string{"Authorize", "OnSubscribe", "OnUnsubscribe"} {
		t.Run(hook, func(t *testing.T) {
			var calls atomic.Int32
			opts := []server.Option{sse.MaxConnections(1), sse.Retry(50 * time.Millisecond), sse.Heartbeat(100 * time.Millisecond)}
			switch hook {
			case "Authorize":
				opts = append(opts, sse.Authorize(func(r *http.Request, topics []string) error {
					panicking(&calls)(r, topics)
					return nil
				}))
			case "OnSubscribe":
				opts = append(opts, sse.OnSubscribe(panicking(&calls)))
			case "OnUnsubscribe":
				opts = append(opts, sse.OnUnsubscribe(panicking(&calls)))
			}
			logs := newRecordingLogger()
			opts = append(opts, server.WithLogger(logs))
			srv := newServer(opts...)
			svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "hooks"})

			s, err := ssetest.Open(context.Background(), nil, ssetest.EventsURL(svc.URL("/events"), "boom"), "")
			var se *ssetest.StatusError
			switch {
			case hook == "Authorize":
				if !errors.As(err, &se) || se.Code != http.StatusForbidden {
					t.Fatalf("panicking Authorize: %v, want 403", err)
				}
			case err != nil:
				t.Fatalf("open: %v", err)
			case hook == "OnSubscribe":
				if err := s.WaitEnd(t); !ssetest.IsEnd(err) {
					t.Fatalf("stream after a panicking OnSubscribe: %v, want its end", err)
				}
			default:
				s.Close() // OnUnsubscribe runs once the server notices
			}
			ssetest.Eventually(t, "the panic logged", func() bool {
				l := logs.Text()
				return strings.Contains(l, hook+" hook panicked") && strings.Contains(l, `"boom"`) &&
					strings.Contains(l, "hook of the user broke") && strings.Contains(l, "goroutine ")
			})
			ssetest.Eventually(t, "the slot released", func() bool { return srv.Stats().Endpoint.Open == 0 })

			// The server goes on, and the one slot is free again.
			ok := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "fine"), "")
			if err := srv.Publish(context.Background(), "fine", &codec.Event{Data: []byte("on")}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if ev := ok.Next(t); string(ev.Data) != "on" {
				t.Fatalf("event = %+v", ev)
			}
			ok.Close()
			if got := srv.Stats().Endpoint.HookPanics; got != 1 {
				t.Fatalf("HookPanics = %d, want 1", got)
			}
			if err := svc.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
		})
	}
}

// TestSlowHookHoldsUpOnlyItsStream: an OnSubscribe or OnUnsubscribe that
// blocks holds no lock another connection needs: streams on other topics
// open, get their events and close meanwhile.
func TestSlowHookHoldsUpOnlyItsStream(t *testing.T) {
	gate := make(chan struct{})
	entered := make(chan string, 4)
	block := func(_ *http.Request, topics []string) {
		if topics[0] == "slow" {
			entered <- topics[0]
			<-gate
		}
	}
	srv := newServer(sse.OnSubscribe(block), sse.OnUnsubscribe(block), sse.Heartbeat(20*time.Millisecond))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "slowhook", Broker: ssebroker.NewBroker()})
	defer close(gate)
	go func() {
		if s, err := ssetest.Open(context.Background(), nil, ssetest.EventsURL(svc.URL("/events"), "slow"), ""); err == nil {
			s.Close()
		}
	}()
	ssetest.Recv(t, entered, "the blocking OnSubscribe")
	for i := range 3 {
		s := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "fast"), "")
		if err := srv.Publish(context.Background(), "fast", &codec.Event{Data: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
		if ev := s.Next(t); string(ev.Data) != strconv.Itoa(i) {
			t.Fatalf("stream %d got %+v", i, ev)
		}
		s.Close()
	}
	ssetest.Eventually(t, "the fast streams closed", func() bool { return srv.Stats().Endpoint.Open == 1 })
}
