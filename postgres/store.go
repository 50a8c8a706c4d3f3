package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
)

// Enqueuer inserts jobs inside tx, the store transaction that is about to commit. River's
// InsertManyTx fits it.
type Enqueuer func(ctx context.Context, tx pgx.Tx, jobs []recoup.Job) error

// Store implements recoup.Store on a DB.
type Store struct {
	db      *DB
	enqueue Enqueuer
	// afterCaseRead, set by tests only, runs inside CaseDetail between its read of the case
	// and its reads of the history: where a write committed elsewhere must not show.
	afterCaseRead func()
}

var _ recoup.Store = (*Store)(nil)

// NewStore returns a store on db. enqueue receives the jobs of each transaction right before
// it commits; it may be nil if nothing enqueues jobs, and a transaction that does then fails.
func NewStore(db *DB, enqueue Enqueuer) *Store {
	return &Store{db: db, enqueue: enqueue}
}

// Tx runs fn in a READ COMMITTED transaction and commits if fn returns nil. fn's error is
// returned as it is. Cases read through the Tx are locked (FOR UPDATE) until it ends; with
// the Version check of UpdateCase, that keeps concurrent writers from losing updates.
func (s *Store) Tx(ctx context.Context, fn func(tx recoup.Tx) error) error {
	pgTx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return wrap(err, "begin transaction")
	}
	t := &tx{ctx: ctx, tx: pgTx}
	defer func() {
		t.done = true
		// A no-op after Commit; on an error or a panic in fn, undoes everything. Not with ctx:
		// if it is cancelled, the rollback must still happen.
		_ = pgTx.Rollback(context.WithoutCancel(ctx))
	}()
	if err := fn(t); err != nil {
		return err
	}
	t.done = true
	if len(t.jobs) > 0 {
		if s.enqueue == nil {
			return recoup.Errorf(recoup.EINTERNAL, "commit: %d jobs enqueued but the store has no enqueuer", len(t.jobs))
		}
		if err := s.enqueue(ctx, pgTx, t.jobs); err != nil {
			return fmt.Errorf("commit: enqueue %d jobs: %w", len(t.jobs), err)
		}
	}
	if err := pgTx.Commit(ctx); err != nil {
		return wrap(err, "commit")
	}
	return nil
}

// Ready returns nil when the database answers and is fully migrated.
func (s *Store) Ready(ctx context.Context) error { return s.db.Ready(ctx) }

// tx is a recoup.Tx. It is not safe for concurrent use, and not usable after fn returns.
type tx struct {
	ctx  context.Context
	tx   pgx.Tx
	jobs []recoup.Job
	done bool
}

func (t *tx) Enqueue(jobs ...recoup.Job) error {
	if t.done {
		return recoup.Errorf(recoup.EINTERNAL, "enqueue: the transaction has ended")
	}
	for _, j := range jobs {
		if err := j.Validate(); err != nil {
			return recoup.Errorf(recoup.EINVALID, "enqueue: %w", err)
		}
	}
	t.jobs = append(t.jobs, jobs...)
	return nil
}

func (t *tx) Cursor(name string) (string, error) {
	var v string
	err := t.tx.QueryRow(t.ctx, `SELECT value FROM cursors WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", wrap(err, "read cursor %s", name)
	}
	return v, nil
}

func (t *tx) SetCursor(name, value string) error {
	if name == "" {
		return recoup.Errorf(recoup.EINVALID, "set cursor: empty name")
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO cursors (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return wrap(err, "set cursor %s", name)
	}
	return nil
}
