package hub

import (
	"math"
	"strings"
	"testing"
)

func TestIDFormat(t *testing.T) {
	h := New()
	defer h.Close()
	e := h.Epoch()
	if len(e) != randomEpochLen || strings.Trim(e, epochDigits) != "" {
		t.Fatalf("epoch %q", e)
	}
	if other := New(); other.Epoch() == e {
		t.Fatalf("two hubs share epoch %q", e)
	} else {
		other.Close()
	}
	for _, seq := range []uint64{0, 1, 35, 36, 1 << 40, math.MaxUint64} {
		id := formatID(e, seq)
		if len(id) > maxIDLen {
			t.Fatalf("id %q longer than %d", id, maxIDLen)
		}
		for _, c := range id {
			if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
				t.Fatalf("id %q has %q, not header/CORS safe", id, c)
			}
		}
		ep, got, ok := parseID(id)
		if !ok || ep != e || got != seq {
			t.Fatalf("parseID(%q) = %q %d %v", id, ep, got, ok)
		}
	}
}

// FuzzParseID checks that parseID accepts exactly the canonical ids: what
// it accepts formats back to the same string, so one event has one id.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"k3j9q0ab-2s", "k3j9q0ab-0", "k3j9q0ab-", "k3j9q0ab-01", "K3J9Q0AB-1",
		"k3j9q0ab-3w5e11264sgsf", "k3j9q0ab-3w5e11264sgsg", "k3j9q0ab_1", "", "garbage", "wwwwwwww-1",
		"js1a-14", "z-0", "abcdefghijklmnop-1", "abcdefghijklmnopq-1", "-1", "a--1", "a-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		epoch, seq, ok := parseID(s)
		if !ok {
			return
		}
		if back := formatID(epoch, seq); back != s {
			t.Fatalf("parseID(%q) = %q, %d; formats back as %q", s, epoch, seq, back)
		}
	})
}

// TestEpochFromOutside: an epoch given with WithEpoch (JetStream's) makes
// ids that parse back, and the hub tells its own ids from others'.
func TestEpochFromOutside(t *testing.T) {
	for _, e := range []string{"z", "js1a", "abcdefghijklmnop"} {
		id := formatID(e, 12345)
		if ep, seq, ok := parseID(id); !ok || ep != e || seq != 12345 {
			t.Fatalf("parseID(%q) = %q %d %v", id, ep, seq, ok)
		}
	}
	for _, bad := range []string{"abcdefghijklmnopq-1", "-1", "a-", "a-01", "A-1", "a_b-1"} {
		if _, _, ok := parseID(bad); ok {
			t.Fatalf("parseID(%q) accepted", bad)
		}
	}
}
