package ssetest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

func TestMain(m *testing.M) {
	ssetest.VerifyTestMain(m)
}

func TestStartServiceRegistersAndStops(t *testing.T) {
	srv := server.NewRPCServer()
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "ssetest.rpc"})
	if got := svc.Server().Options().Id; got == server.DefaultId {
		t.Fatalf("node id is go-micro's global default %q", got)
	}
	ssetest.Eventually(t, "node registered", func() bool {
		s, err := svc.Registry.GetService("ssetest.rpc")
		return err == nil && len(s) == 1 && len(s[0].Nodes) == 1
	})
	if err := svc.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if s, err := svc.Registry.GetService("ssetest.rpc"); err == nil && len(s) > 0 && len(s[0].Nodes) > 0 {
		t.Fatalf("node still registered after Stop: %+v", s[0].Nodes)
	}
	if err := svc.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestStreamDecodesEvents(t *testing.T) {
	gotID := make(chan string, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotID <- r.Header.Get("Last-Event-ID")
		if r.URL.Query()["stream"][1] != "b c" {
			http.Error(w, "bad topics", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", codec.ContentType)
		fmt.Fprint(w, "retry: 1500\n\n")
		enc := codec.NewEncoder(w)
		for i := range 3 {
			if err := enc.Encode(&codec.Event{ID: fmt.Sprint(i), Event: "e", Data: []byte("line1\nline2")}); err != nil {
				t.Error(err)
			}
		}
		w.(http.Flusher).Flush()
	}))
	defer ts.Close()

	s := ssetest.OpenT(t, ssetest.EventsURL(ts.URL+"/events", "a", "b c"), "41")
	if id := ssetest.Recv(t, gotID, "request"); id != "41" {
		t.Fatalf("Last-Event-ID = %q, want 41", id)
	}
	for i := range 3 {
		ev := s.Next(t)
		if ev.ID != fmt.Sprint(i) || ev.Event != "e" || string(ev.Data) != "line1\nline2" {
			t.Fatalf("event %d = %+v", i, ev)
		}
	}
	if err := s.WaitEnd(t); !ssetest.IsEnd(err) {
		t.Fatalf("end: %v", err)
	}
	if s.Retry().Milliseconds() != 1500 {
		t.Fatalf("Retry = %v", s.Retry())
	}
}

func TestOpenStatusError(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no stream", http.StatusBadRequest)
	}))
	defer ts.Close()
	_, err := ssetest.Open(context.Background(), nil, ts.URL, "")
	var se *ssetest.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusBadRequest || se.Body != "no stream\n" {
		t.Fatalf("err = %v", err)
	}
}

func TestNginxProxyStreamsAndStops(t *testing.T) {
	gotXFF := make(chan string, 1)
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotXFF <- r.Header.Get("X-Forwarded-For")
		w.Header().Set("Content-Type", codec.ContentType)
		w.Header().Set("X-Accel-Buffering", "no")
		_ = codec.NewEncoder(w).Encode(&codec.Event{ID: "1", Data: []byte("through nginx")})
		w.(http.Flusher).Flush()
		<-release // the event must reach the client while the response is open
	}))
	defer ts.Close()
	defer close(release)
	addr := ssetest.NginxProxy(t, ts.Listener.Addr().String(),
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
	s := ssetest.OpenT(t, "http://"+addr+"/events", "")
	if ev := s.Next(t); ev.ID != "1" || string(ev.Data) != "through nginx" {
		t.Fatalf("event = %+v", ev)
	}
	if xff := ssetest.Recv(t, gotXFF, "request"); xff != "127.0.0.1" {
		t.Fatalf("X-Forwarded-For behind nginx = %q, want the client's 127.0.0.1", xff)
	}
}

func TestNATSClusterElectsAnotherLeaderWhenOneIsKilled(t *testing.T) {
	c := ssetest.StartNATSCluster(t, 3)
	nc := c.Connect(0)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ssetest.Timeout)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "s", Subjects: []string{"s.*"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	leader := c.StreamLeader(nc, "s")
	c.Kill(leader)
	ssetest.Eventually(t, "another leader", func() bool {
		sctx, scancel := context.WithTimeout(context.Background(), time.Second)
		defer scancel()
		s, err := js.Stream(sctx, "s")
		return err == nil && s.CachedInfo().Cluster != nil && s.CachedInfo().Cluster.Leader != "" && s.CachedInfo().Cluster.Leader != c.Name(leader)
	})
	if _, err := js.Publish(ctx, "s.x", []byte("after")); err != nil {
		t.Fatalf("publish after the kill: %v", err)
	}
	c.Start(leader)
	c.WaitJetStream()
}
