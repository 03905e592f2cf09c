package server

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
)

// maxLastEventIDBytes bounds the Last-Event-ID a request may carry; the
// hub's ids are far shorter, so a longer one is not ours.
const maxLastEventIDBytes = 1024

// topicsOf returns the deduplicated topics of a request, or a 400 reason.
func (e *endpoint) topicsOf(r *http.Request) (topics []string, reason, text string) {
	topics = r.URL.Query()[e.cfg.StreamParam]
	if len(topics) == 0 {
		return nil, ReasonNoStream, fmt.Sprintf("missing %q query parameter", e.cfg.StreamParam)
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	if len(topics) > e.cfg.MaxTopicsPerConnection {
		return nil, ReasonTooManyTopics, fmt.Sprintf("too many topics: %d, at most %d", len(topics), e.cfg.MaxTopicsPerConnection)
	}
	for _, t := range topics {
		switch {
		case t == "":
			return nil, ReasonBadTopic, "empty topic name"
		case len(t) > e.cfg.MaxTopicNameLength:
			return nil, ReasonBadTopic, fmt.Sprintf("topic name longer than %d bytes", e.cfg.MaxTopicNameLength)
		case !e.cfg.TopicPattern.MatchString(t):
			return nil, ReasonBadTopic, fmt.Sprintf("topic name %q does not match %s", t, e.cfg.TopicPattern)
		}
	}
	return topics, "", ""
}

// lastEventID returns the id a request resumes from: the Last-Event-ID
// header, else the LastEventIDParam query parameter.
func (e *endpoint) lastEventID(r *http.Request) string {
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		return id
	}
	return r.URL.Query().Get(e.cfg.LastEventIDParam)
}

// acquire counts a new stream against MaxConnections and reports whether
// it fits; every true must be paired with release.
func (e *endpoint) acquire() bool {
	n := e.open.Add(1)
	if max := e.cfg.MaxConnections; max > 0 && n > int64(max) {
		e.open.Add(-1)
		return false
	}
	return true
}

// release uncounts a stream acquire admitted.
func (e *endpoint) release() { e.open.Add(-1) }

// retryAfter is the Retry-After header value of a 503: the retry delay in
// whole seconds, at least 1.
func (e *endpoint) retryAfter() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.cfg.Retry.Seconds()))))
}
