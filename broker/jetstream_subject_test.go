package broker_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
)

func TestSubjectEscapesEverythingThatIsNotOneToken(t *testing.T) {
	cases := map[string]string{
		"ticks":        "events.ticks",
		"news.eu":      "events.news%2Eeu",
		"a b":          "events.a%20b",
		"*":            "events.%2A",
		">":            "events.%3E",
		"100%":         "events.100%25",
		"a:b/c@d_e-f":  "events.a:b/c@d_e-f",
		"tab\tnl\n":    "events.tab%09nl%0A",
		"é":            "events.%C3%A9",
		"news.eu.>":    "events.news%2Eeu%2E%3E",
		"UPPER.lower9": "events.UPPER%2Elower9",
	}
	for topic, want := range cases {
		got := ssebroker.Subject("events", topic)
		assert.Equal(t, want, got, "topic %q", topic)
		back, ok := ssebroker.TopicOf("events", got)
		assert.True(t, ok, "subject %q maps back", got)
		assert.Equal(t, topic, back)
	}
	assert.Empty(t, ssebroker.Subject("events", ""))
}

func TestTopicOfRefusesWhatSubjectNeverWrites(t *testing.T) {
	for _, subj := range []string{
		"events",          // no token
		"events.",         // empty token
		"other.ticks",     // another stream
		"eventsX.ticks",   // a longer stream name
		"events.a.b",      // two tokens
		"events.*",        // wildcard
		"events.>",        //
		"events.%2e",      // lowercase hex
		"events.%41",      // 'A' is never escaped
		"events.%2",       // short escape
		"events.%G0",      // not hex
		"events.a b",      // space
		"events.\xc3\xa9", // raw non-ASCII byte
	} {
		_, ok := ssebroker.TopicOf("events", subj)
		assert.False(t, ok, "subject %q", subj)
	}
}

// FuzzSubject checks that the mapping is a bijection onto one token of the
// stream's subject space: every topic maps to "<stream>.<token>" with a
// token NATS takes as one literal token, and back to itself; a subject
// maps back only when it is exactly what Subject writes.
func FuzzSubject(f *testing.F) {
	for _, s := range []string{"ticks", "news.eu", "a b", "*", ">", "%", "%25", "events.x", "é", "\x00", "a..b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s != "" {
			subj := ssebroker.Subject("events", s)
			tok, ok := strings.CutPrefix(subj, "events.")
			if !ok || tok == "" {
				t.Fatalf("Subject(%q) = %q: not under events.", s, subj)
			}
			for i := 0; i < len(tok); i++ {
				if c := tok[i]; c <= ' ' || c >= 0x7f || c == '.' || c == '*' || c == '>' {
					t.Fatalf("Subject(%q) = %q: byte %q in the token", s, subj, c)
				}
			}
			back, ok := ssebroker.TopicOf("events", subj)
			if !ok || back != s {
				t.Fatalf("TopicOf(Subject(%q)) = %q, %v", s, back, ok)
			}
		}
		if topic, ok := ssebroker.TopicOf("events", "events."+s); ok {
			if again := ssebroker.Subject("events", topic); again != "events."+s {
				t.Fatalf("TopicOf(%q) = %q, whose subject is %q", "events."+s, topic, again)
			}
		}
	})
}
