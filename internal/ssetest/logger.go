package ssetest

import (
	"fmt"
	"strings"
	"sync"

	"go-micro.dev/v4/logger"
)

// Log is a go-micro logger.Logger that keeps every entry in memory (as
// "level message"), for tests that check what a component logs; go-micro's
// own logger always prints to stdout. Every level is kept. It is safe for
// concurrent use.
type Log struct {
	mu      sync.Mutex
	opts    logger.Options
	entries []string
}

// NewLog returns an empty Log.
func NewLog() *Log { return &Log{opts: logger.Options{Level: logger.TraceLevel}} }

// Init applies options; they change nothing of what is kept.
func (l *Log) Init(opts ...logger.Option) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range opts {
		o(&l.opts)
	}
	return nil
}

// Options returns the options.
func (l *Log) Options() logger.Options {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opts
}

// Fields returns l: fields are not kept.
func (l *Log) Fields(map[string]interface{}) logger.Logger { return l }

// Log keeps one entry.
func (l *Log) Log(level logger.Level, v ...interface{}) { l.add(level, fmt.Sprint(v...)) }

// Logf keeps one formatted entry.
func (l *Log) Logf(level logger.Level, format string, v ...interface{}) {
	l.add(level, fmt.Sprintf(format, v...))
}

// String is the logger's name.
func (l *Log) String() string { return "ssetest" }

func (l *Log) add(level logger.Level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, level.String()+" "+msg)
}

// Lines are the entries kept so far that contain every one of parts.
func (l *Log) Lines(parts ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.entries {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(e, p)
		}
		if all {
			out = append(out, e)
		}
	}
	return out
}
