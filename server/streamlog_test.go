package server_test

import (
	"net/http"
	"strings"
	"testing"

	"go-micro.dev/v4/logger"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// TestStreamLogFields: a stream's open and close and a refusal reach the
// go-micro logger with structured fields.
func TestStreamLogFields(t *testing.T) {
	logs := newRecordingLogger()
	logs.level = logger.DebugLevel
	srv := newServer(server.WithLogger(logs))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "logs"})

	s := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "news"), "garbage")
	if ev := s.Next(t); ev.Event != "sse-reset" {
		t.Fatalf("first event %+v, want sse-reset", ev)
	}
	s.Close()
	// The close is noticed at the next write.
	ssetest.Eventually(t, "the close logged", func() bool {
		_ = srv.TryPublish("news", &codec.Event{Data: []byte("x")})
		return strings.Contains(logs.Text(), "sse stream closed")
	})
	resp, err := http.Get(svc.URL("/events"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	text := logs.Text()
	for _, want := range []string{
		"map[peer:127.0.0.1:", " proto:HTTP/1.1 remote:127.0.0.1:", "reset_reason:invalid-id resume:lost sse:open topics:[news]] sse stream open",
		"sse:close topics:[news]] sse stream closed",
		"map[peer:127.0.0.1:", " reason:" + sse.ReasonNoStream + " remote:127.0.0.1:", "sse:refused status:400] sse request refused",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("log has no %q:\n%s", want, text)
		}
	}
	// The server finds a client gone by a failed write or a peek at EOF:
	// either way it left, no write failed.
	if !strings.Contains(text, "end:client_gone") {
		t.Errorf("close logged without end:client_gone:\n%s", text)
	}
}
