// Package prunemap is a map kept bounded by the entries in use: before it
// grows past a threshold it forgets the entries its caller says are stale,
// and the threshold becomes twice what is left (at least Min). Pruning so
// costs amortized constant time per new entry, and the map never holds
// more than twice the entries in use (or Min).
package prunemap

import "iter"

// Min is the smallest size at which a Map prunes.
const Min = 1024

// Map is a map from K to V that prunes its stale entries as it grows. The
// zero value is empty and ready; a Map is not safe for concurrent use (its
// owner holds it under its own lock).
type Map[K comparable, V any] struct {
	m       map[K]V
	pruneAt int // prune before adding when the map holds this many
}

// Get returns the value of k, the zero value when k is absent.
func (m *Map[K, V]) Get(k K) V {
	return m.m[k]
}

// Add sets the value of k. When the map has grown to its threshold it
// first deletes every entry for which stale returns true.
func (m *Map[K, V]) Add(k K, v V, stale func(V) bool) {
	if m.m == nil {
		m.m = make(map[K]V)
	}
	if len(m.m) >= max(m.pruneAt, Min) {
		for key, val := range m.m {
			if stale(val) {
				delete(m.m, key)
			}
		}
		m.pruneAt = 2 * len(m.m)
	}
	m.m[k] = v
}

// Delete deletes k.
func (m *Map[K, V]) Delete(k K) {
	delete(m.m, k)
}

// Len returns the number of entries.
func (m *Map[K, V]) Len() int {
	return len(m.m)
}

// All yields every entry, in no particular order.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for k, v := range m.m {
			if !yield(k, v) {
				return
			}
		}
	}
}

// Clear deletes every entry and returns them as a map of their own.
func (m *Map[K, V]) Clear() map[K]V {
	old := m.m
	m.m, m.pruneAt = nil, 0
	return old
}
