package server

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

func TestConfigDefaults(t *testing.T) {
	for _, c := range []*config{configFrom(nil), configFrom(optionsOf().Context)} {
		if c.Path != "/events" || c.StreamParam != "stream" || c.LastEventIDParam != "lastEventId" ||
			c.Retry != DefaultRetry || c.Heartbeat != DefaultHeartbeat || c.WriteTimeout != DefaultWriteTimeout ||
			c.MaxTopicsPerConnection != DefaultMaxTopicsPerConnection || c.TopicPattern != DefaultTopicPattern ||
			c.GoroutinePerStream || len(c.OwnHub) != 0 {
			t.Errorf("defaults: %+v", c)
		}
	}
}

// TestLimitDefaultsFinite: every limit of an internet-facing server has a
// finite default; the connection limit follows the process's file limit.
func TestLimitDefaultsFinite(t *testing.T) {
	c := configFrom(nil)
	want := fallbackMaxConnections
	if n := fileLimit(); n > 0 && n < 1<<31 {
		want = int(n - n/16)
	}
	if c.MaxConnections != want || c.MaxConnections <= 0 {
		t.Errorf("MaxConnections default %d, want %d (file limit %d)", c.MaxConnections, want, fileLimit())
	}
	if c.MaxConnectionsPerClient != DefaultMaxConnectionsPerClient || c.ConnectRate != DefaultConnectRate ||
		c.ConnectBurst != DefaultConnectBurst || c.ReadHeaderTimeout != DefaultReadHeaderTimeout ||
		c.IdleTimeout != DefaultIdleTimeout || c.MaxHeaderBytes != DefaultMaxHeaderBytes {
		t.Errorf("limit defaults: %+v", c)
	}
	for _, v := range []float64{float64(c.MaxConnectionsPerClient), c.ConnectRate, float64(c.ConnectBurst),
		c.ReadHeaderTimeout.Seconds(), c.IdleTimeout.Seconds(), float64(c.MaxHeaderBytes)} {
		if v <= 0 {
			t.Errorf("a limit defaults to %v: %+v", v, c)
		}
	}
	off := configFrom(optionsOf(MaxConnections(-5), MaxConnectionsPerClient(-1), ConnectRate(-1, 0)).Context)
	if off.MaxConnections != -1 || off.MaxConnectionsPerClient != -1 || off.ConnectRate >= 0 {
		t.Errorf("limits turned off: %+v", off)
	}
}

func TestConfigFromOptions(t *testing.T) {
	re := regexp.MustCompile(`^[a-z]+$`)
	called := 0
	o := optionsOf(
		EventsPath("/sse"), StreamParam("topic"), LastEventIDParam("last"), Retry(time.Second),
		Heartbeat(time.Minute), WriteTimeout(time.Second), AllowedOrigins("https://a"), AllowCredentials(),
		Authorize(func(*http.Request, []string) error { called++; return nil }),
		Headers(http.Header{"X-A": {"1"}}), MaxConnections(5), MaxTopicsPerConnection(3),
		MaxTopicNameLength(9), TopicPattern(re), OwnHub(ssebroker.MaxHistoryEvents(10), ssebroker.MaxHistoryBytes(100)),
		OwnHub(ssebroker.MaxHistoryAge(time.Hour), ssebroker.HistoryBudget(1000), ssebroker.MaxReplay(7), ssebroker.ExplicitTopics(),
			ssebroker.KeepPublisherIDs(), ssebroker.Base64Data(), ssebroker.SubscriberQueue(3)),
		OnSubscribe(func(*http.Request, []string) { called++ }), OnUnsubscribe(func(*http.Request, []string) { called++ }),
		ShutdownGrace(time.Second), GoroutinePerStream(),
	)
	c := configFrom(o.Context)
	if c.Path != "/sse" || c.StreamParam != "topic" || c.LastEventIDParam != "last" || c.Retry != time.Second ||
		c.Heartbeat != time.Minute || c.WriteTimeout != time.Second || c.AllowedOrigins[0] != "https://a" ||
		!c.AllowCredentials || c.Headers.Get("X-A") != "1" || c.MaxConnections != 5 ||
		c.MaxTopicsPerConnection != 3 || c.MaxTopicNameLength != 9 || c.TopicPattern != re ||
		c.ShutdownGrace != time.Second || !c.GoroutinePerStream {
		t.Errorf("config: %+v", c)
	}
	c.Authorize(nil, nil)
	c.OnSubscribe(nil, nil)
	c.OnUnsubscribe(nil, nil)
	if called != 3 {
		t.Errorf("hooks not carried: %d calls", called)
	}
	if c := configFrom(optionsOf(Retry(-time.Second), MaxConnections(0)).Context); c.Retry != DefaultRetry || c.MaxConnections != defaultMaxConnections() {
		t.Errorf("non-positive values must keep the defaults: %v %v", c.Retry, c.MaxConnections)
	}
	var ho hub.Options
	for _, opt := range c.OwnHub {
		opt(&ho)
	}
	if ho.HistoryEvents != 10 || ho.HistoryBytes != 100 || ho.HistoryAge != time.Hour || ho.HistoryBudget != 1000 ||
		ho.MaxReplay != 7 || !ho.ExplicitTopics || !ho.KeepPublisherIDs || ho.DataEncoding != 1 {
		t.Errorf("hub options: %+v", ho)
	}
}

// TestZeroHistoryBounds: a bound given as zero is a bound (no history, no
// replay, no age bound), not "keep the default" as it once was for the
// server's MaxHistoryEvents(0).
func TestZeroHistoryBounds(t *testing.T) {
	c := configFrom(optionsOf(OwnHub(ssebroker.MaxHistoryEvents(0), ssebroker.MaxHistoryBytes(0), ssebroker.MaxHistoryAge(0),
		ssebroker.HistoryBudget(0), ssebroker.MaxReplay(0))).Context)
	ho := hub.Options{HistoryEvents: 1, HistoryBytes: 1, HistoryAge: 1, HistoryBudget: 1, MaxReplay: 1}
	for _, opt := range c.OwnHub {
		opt(&ho)
	}
	if ho.HistoryEvents != 0 || ho.HistoryBytes != 0 || ho.HistoryAge != 0 || ho.HistoryBudget != 0 || ho.MaxReplay != 0 {
		t.Errorf("zero bounds not applied: %+v", ho)
	}
}
