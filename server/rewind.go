package server

import (
	"fmt"
	"net/url"
	"strconv"
)

// RewindParam is the query parameter with which a first connect (no
// Last-Event-ID) asks for the last N events its topics' history holds
// together before the live ones: /events?stream=a&rewind=5. N is bounded
// by MaxReplay; a request that resumes (Last-Event-ID, header or query)
// gets exactly the events after its id instead. A value that is not a
// number from 0 up is refused with 400 (ReasonBadQuery). The history is
// the node's own log (with JetStream, what this node's log holds, which
// on a node just started may be less than the stream).
const RewindParam = "rewind"

// rewindOf returns the rewind a request's query asks for (0: none), or a
// 400 reason.
func rewindOf(q url.Values) (n int, reason, text string) {
	v := q.Get(RewindParam)
	if v == "" {
		return 0, "", ""
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, ReasonBadQuery, fmt.Sprintf("%s=%q: want a number of events from 0 up", RewindParam, v)
	}
	return n, "", ""
}
