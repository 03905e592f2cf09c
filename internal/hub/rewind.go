package hub

// Rewind makes a subscription that gives no lastEventID start with the
// last n events its topics' logs hold together (fewer if they hold fewer;
// at most MaxReplay), then go live, with no gap and no duplicate between
// them. With a lastEventID it does nothing: a resume is placed by its id.
// The subscription's Resume is ResumeNone (no id was given): what the logs
// no longer hold is not announced with a reset.
func Rewind(n int) SubscribeOption {
	return func(o *subscribeOptions) { o.rewind = n }
}

// cutLocked returns the smallest sequence at or above from such that at
// most limit events of the topics ts lie above it, up to the hub's newest.
func (h *Hub) cutLocked(ts []*topic, from uint64, limit int) uint64 {
	lo, hi := from, h.seq
	for lo < hi {
		m := lo + (hi-lo)/2
		n := 0
		for _, t := range ts {
			n += t.hist.countIn(m, h.seq)
		}
		if n <= limit {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}
