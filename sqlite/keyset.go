package sqlite

import (
	"context"
	"database/sql"

	"github.com/recoup-hq/recoup/sqlite/cache"
)

// keySet is a scratch database's cache.KeySet with the query that loads it: every stored row's
// key, by query and scan.
type keySet[K comparable] struct {
	query string                     // every stored row's key
	scan  func(*sql.Rows) (K, error) // one key of query's rows
	set   cache.KeySet[K]
}

// none reports whether no row surely has key k, loading the set through q the first time. A
// nil set knows nothing: the caller queries.
func (s *keySet[K]) none(ctx context.Context, q querier, k K) (bool, error) {
	if s == nil {
		return false, nil
	}
	return s.set.None(k, func(add func(K)) error {
		return scanRows(ctx, q, func(rows *sql.Rows) error {
			k, err := s.scan(rows)
			add(k)
			return err
		}, s.query)
	})
}

// add notes a row written with key k.
func (s *keySet[K]) add(k K) {
	if s != nil {
		s.set.Add(k)
	}
}
