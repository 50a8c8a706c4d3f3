package cache

import "sync"

// KeySet lets a scratch database (the only writer of its file) answer that no row has a key
// without a query, where nearly every key asked about has none. Once loaded (by the caller's
// query, the first time it is asked), it holds the key of every stored row, and of every row
// written since, committed or not: a key in it is looked up in the table, a key not in it has
// no row. A key written by a transaction that rolled back stays, which only costs a query. A
// nil *KeySet knows nothing: the caller queries.
type KeySet[K comparable] struct {
	mu     sync.Mutex
	loaded bool
	m      map[K]bool
}

// None reports whether no row surely has key k. The first time, load is called to hand every
// stored row's key to add; if it fails, the set stays unloaded and the error is returned.
func (s *KeySet[K]) None(k K, load func(add func(K)) error) (bool, error) {
	if s == nil {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		m := map[K]bool{}
		if err := load(func(k K) { m[k] = true }); err != nil {
			return false, err
		}
		s.m, s.loaded = m, true
	}
	return !s.m[k], nil
}

// Add notes a row written with key k.
func (s *KeySet[K]) Add(k K) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded {
		s.m[k] = true
	}
}
