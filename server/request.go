package server

// The parsing of an events request: its query, its topics and the id it
// resumes from. What it may open is limits.go's.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// queryOf parses the query of a request, or returns a 400 reason when it
// cannot be parsed at all (more parameters than net/url allows, 10,000 by
// default). A query that is only partly malformed keeps what parsed, as
// r.URL.Query does.
func (e *endpoint) queryOf(r *http.Request) (q url.Values, reason, text string) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil && len(q) == 0 {
		return nil, ReasonBadQuery, fmt.Sprintf("query not usable: %v", err)
	}
	return q, "", ""
}

// topicsOf returns the deduplicated topics of a request's query, or a 400
// reason.
func (e *endpoint) topicsOf(q url.Values) (topics []string, reason, text string) {
	topics = q[e.cfg.StreamParam]
	if len(topics) == 0 {
		return nil, ReasonNoStream, fmt.Sprintf("missing %q query parameter", e.cfg.StreamParam)
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	if len(topics) > e.cfg.MaxTopicsPerConnection {
		return nil, ReasonTooManyTopics, fmt.Sprintf("too many topics: %d, at most %d", len(topics), e.cfg.MaxTopicsPerConnection)
	}
	for _, t := range topics {
		if reason, text := e.cfg.checkTopic(t); reason != "" {
			return nil, reason, text
		}
	}
	return topics, "", ""
}

// checkTopic returns ReasonBadTopic and why when name is not a topic name
// the server serves: empty, too long or not matching TopicPattern.
func (c *config) checkTopic(name string) (reason, text string) {
	switch {
	case name == "":
		return ReasonBadTopic, "empty topic name"
	case len(name) > c.MaxTopicNameLength:
		return ReasonBadTopic, fmt.Sprintf("topic name longer than %d bytes", c.MaxTopicNameLength)
	case !c.TopicPattern.MatchString(name):
		return ReasonBadTopic, fmt.Sprintf("topic name %q does not match %s", name, c.TopicPattern)
	}
	return "", ""
}

// lastEventID returns the id a request resumes from: the Last-Event-ID
// header, else the LastEventIDParam query parameter. An id longer than any
// the hub could have given is cut to one byte more than that, so that the
// hub answers it as an id it cannot place (sse-reset, invalid-id) without
// echoing a large header back: never a 4xx, after which EventSource would
// not reconnect.
func (e *endpoint) lastEventID(r *http.Request, q url.Values) string {
	id := r.Header.Get("Last-Event-ID")
	if id == "" {
		id = q.Get(e.cfg.LastEventIDParam)
	}
	if len(id) > hub.MaxPublisherIDLen {
		id = id[:hub.MaxPublisherIDLen+1]
	}
	return id
}
