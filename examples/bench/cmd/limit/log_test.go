package main

import "testing"

// TestLogEvicts: the log holds the last logFrames frames and at most
// logBytes bytes, the oldest taken back first.
func TestLogEvicts(t *testing.T) {
	l := &frameLog{}
	for i := range logFrames + 3 {
		l.append([]byte{byte(i)})
	}
	if h := l.head.Load(); h != logFrames+3 {
		t.Fatalf("head %d", h)
	}
	for s := range uint64(3) {
		if l.at(s) != nil {
			t.Fatalf("frame %d still held", s)
		}
	}
	if f := l.at(3); f == nil || f.b[0] != 3 {
		t.Fatalf("frame 3: %v", f)
	}
	if f := l.at(logFrames + 2); f == nil || f.b[0] != byte((logFrames+2)%256) {
		t.Fatalf("last frame: %v", f)
	}

	big := &frameLog{}
	chunk := make([]byte, logBytes/4)
	for range 5 {
		big.append(chunk)
	}
	if big.at(0) != nil || big.at(1) == nil || big.bytes != logBytes {
		t.Fatalf("byte bound: frame 0 %v, frame 1 %v, bytes %d", big.at(0) != nil, big.at(1) != nil, big.bytes)
	}
}
