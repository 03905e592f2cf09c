package main

import (
	gosse "github.com/tmaxmax/go-sse"
)

// headerReplayer replays nothing; its Replay sends the response headers.
//
// go-sse writes a session's headers only with its first message, so a
// client could not tell it is subscribed. Joe calls Replay in its loop
// when it registers a subscription, before any later message, so a client
// that has the headers gets every event published after: the same
// guarantee r3labs and go-micro-sse give, at no cost per event.
type headerReplayer struct{}

// Put keeps nothing and returns the message as it is.
func (headerReplayer) Put(m *gosse.Message, _ []string) (*gosse.Message, error) { return m, nil }

// Replay flushes the subscriber's headers.
func (headerReplayer) Replay(sub gosse.Subscription) error { return sub.Client.Flush() }
