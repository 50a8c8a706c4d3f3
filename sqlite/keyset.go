package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// keySet lets a scratch database (the only writer of its file) answer that no row has a key
// without a query, where nearly every key asked about has none. Once loaded (by query, the
// first time it is asked), it holds the key of every stored row, and of every row written since,
// committed or not: a key in it is looked up in the table, a key not in it has no row. A key
// written by a transaction that rolled back stays, which only costs a query.
type keySet[K comparable] struct {
	query string                     // every stored row's key
	scan  func(*sql.Rows) (K, error) // one key of query's rows

	mu     sync.Mutex
	loaded bool
	m      map[K]bool
}

// none reports whether no row surely has key k, loading the set through q the first time. A
// nil set knows nothing: the caller queries.
func (s *keySet[K]) none(ctx context.Context, q querier, k K) (bool, error) {
	if s == nil {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		m := map[K]bool{}
		err := scanRows(ctx, q, func(rows *sql.Rows) error {
			k, err := s.scan(rows)
			m[k] = true
			return err
		}, s.query)
		if err != nil {
			return false, err
		}
		s.m, s.loaded = m, true
	}
	return !s.m[k], nil
}

// add notes a row written with key k.
func (s *keySet[K]) add(k K) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded {
		s.m[k] = true
	}
}
