package server

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

func TestConfigDefaults(t *testing.T) {
	for _, c := range []*config{configFrom(nil), configFrom(optionsOf().Context)} {
		if c.Path != "/events" || c.StreamParam != "stream" || c.LastEventIDParam != "lastEventId" ||
			c.Retry != DefaultRetry || c.Heartbeat != DefaultHeartbeat || c.WriteTimeout != DefaultWriteTimeout ||
			c.MaxTopicsPerConnection != DefaultMaxTopicsPerConnection || c.TopicPattern != DefaultTopicPattern ||
			c.MaxConnections != 0 || c.GoroutinePerStream || len(c.hubOptions()) != 0 {
			t.Errorf("defaults: %+v", c)
		}
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
		MaxTopicNameLength(9), TopicPattern(re), MaxHistoryEvents(10), MaxHistoryBytes(100),
		MaxHistoryAge(time.Hour), HistoryBudget(1000), MaxReplay(7), ExplicitTopics(), KeepPublisherIDs(), Base64Data(),
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
	if c := configFrom(optionsOf(Retry(-time.Second), MaxConnections(0)).Context); c.Retry != DefaultRetry || c.MaxConnections != 0 {
		t.Errorf("non-positive values must keep the defaults: %v %v", c.Retry, c.MaxConnections)
	}
	var ho hub.Options
	for _, opt := range c.hubOptions() {
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
	c := configFrom(optionsOf(MaxHistoryEvents(0), MaxHistoryBytes(0), MaxHistoryAge(0), HistoryBudget(0), MaxReplay(0)).Context)
	ho := hub.Options{HistoryEvents: 1, HistoryBytes: 1, HistoryAge: 1, HistoryBudget: 1, MaxReplay: 1}
	for _, opt := range c.hubOptions() {
		opt(&ho)
	}
	if ho.HistoryEvents != 0 || ho.HistoryBytes != 0 || ho.HistoryAge != 0 || ho.HistoryBudget != 0 || ho.MaxReplay != 0 {
		t.Errorf("zero bounds not applied: %+v", ho)
	}
}
