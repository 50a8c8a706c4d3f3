package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// migrationLockKey is the PostgreSQL advisory lock that serializes River migrations between
// processes: an arbitrary constant (the FNV-1a hash of "recoup/jobs: river migrations").
// River's own advisory locks are hashes over the same 64-bit space, so a clash is negligible.
const migrationLockKey int64 = 0x0e3dabc01427d049

// NewPostgres returns a Queue over the pool. River's tables live in the pool's search_path
// (River's default when Config.Schema is empty). Any number of processes may share the
// database: River's row locks give each job to one worker, and its leader election picks the
// one process that runs the periodic reconciliation and the rescuer. The pool needs at least
// two connections.
func NewPostgres(pool *pgxpool.Pool, cfg Config) (*Queue[pgx.Tx], error) {
	q, err := newQueue(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, err
	}
	q.serialize = func(ctx context.Context, migrate func(context.Context) error) error {
		return withAdvisoryLock(ctx, pool, migrationLockKey, migrate)
	}
	return q, nil
}

// withAdvisoryLock runs fn while holding a transaction-scoped advisory lock on a connection of
// its own; the lock goes with the transaction, even if this process dies.
func withAdvisoryLock(ctx context.Context, pool *pgxpool.Pool, key int64, fn func(context.Context) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin lock transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // pgx closes the connection if the rollback fails
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", key); err != nil {
		return fmt.Errorf("take advisory lock: %w", err)
	}
	return fn(ctx)
}
