package prunemap

import "testing"

func stale(v int) bool { return v < 0 }

func TestAddPrunesStaleEntriesAtTheThreshold(t *testing.T) {
	var m Map[int, int]
	for i := range Min {
		m.Add(i, -1, stale) // all stale, none pruned before the threshold
	}
	if m.Len() != Min {
		t.Fatalf("Len = %d before the threshold, want %d", m.Len(), Min)
	}
	m.Add(Min, 1, stale)
	if m.Len() != 1 || m.Get(Min) != 1 {
		t.Fatalf("after pruning: Len = %d, Get = %d; want 1, 1", m.Len(), m.Get(Min))
	}
}

func TestThresholdIsTwiceWhatIsLeft(t *testing.T) {
	var m Map[int, int]
	for i := range 2 * Min { // none stale: no prune frees anything
		m.Add(i, i, stale)
	}
	// Pruned (nothing) at Min: the next prune is at 2*Min.
	for i := range 2 * Min {
		m.m[i] = -1 // all stale now
	}
	m.Add(2*Min, 7, stale)
	if m.Len() != 1 {
		t.Fatalf("Len = %d, want 1 after pruning at twice the size left", m.Len())
	}
}

func TestNeverHoldsMoreThanTwiceTheEntriesInUse(t *testing.T) {
	var m Map[int, int]
	live := 3000
	for i := range live {
		m.Add(i, i, stale)
	}
	for i := live; i < 100*live; i++ { // a stream of entries that go stale at once
		m.Add(i, -1, stale)
		if m.Len() > max(2*live, Min)+1 {
			t.Fatalf("Len = %d with %d entries in use", m.Len(), live)
		}
	}
	for i := range live {
		if m.Get(i) != i {
			t.Fatalf("entry %d in use was pruned", i)
		}
	}
}

func TestDeleteAllClear(t *testing.T) {
	var m Map[string, int]
	m.Add("a", 1, stale)
	m.Add("b", 2, stale)
	m.Delete("a")
	n := 0
	for k, v := range m.All() {
		if k != "b" || v != 2 {
			t.Fatalf("All yields %s=%d", k, v)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("All yielded %d entries, want 1", n)
	}
	old := m.Clear()
	if len(old) != 1 || m.Len() != 0 || m.Get("b") != 0 {
		t.Fatalf("Clear: returned %v, Len %d", old, m.Len())
	}
}
