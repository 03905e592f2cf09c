package hub

import (
	"errors"
	"fmt"

	"github.com/go-micro-sse/go-micro-sse/codec"
)

// errAlreadyRead is returned by Follow on a subscriber that was read.
var errAlreadyRead = errors.New("hub: subscriber already read")

// Follow puts evs into s's stream before s is first read: right after its
// reset frame when its resume was lost, else first, before every event
// after its position. It is how a snapshot of the state follows a reset.
// The events carry no id but the last, which carries the id of the place
// they stand at (the reset's id, or the hub id of s's position), so that
// a client reconnecting after them resumes from there exactly. An event
// that cannot be encoded makes Follow put none and return the error; on
// a subscriber already read it returns errAlreadyRead.
func (s *Subscriber) Follow(evs []codec.Event) error {
	if len(evs) == 0 {
		return nil
	}
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.wasRead {
		return errAlreadyRead
	}
	at, prefix := s.pos, []byte(nil)
	if r := s.reset; r != nil {
		at, prefix = r.seq, r.frame.bytes()
	}
	buf := append(newFrameBuf(0, len(prefix)+256), prefix...)
	var err error
	for i := range evs {
		ev := evs[i]
		ev.ID = ""
		if i == len(evs)-1 {
			ev.ID = formatID(h.epoch, at)
		}
		if buf, err = ev.AppendTo(buf); err != nil {
			return fmt.Errorf("hub: follow: event %d: %w", i, err)
		}
	}
	if s.reset == nil {
		s.reset = &pendingReset{seq: at}
	}
	s.reset.frame = makeFrame(buf, 0)
	return nil
}
