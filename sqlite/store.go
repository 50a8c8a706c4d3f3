package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite/cache"
	"github.com/recoup-hq/recoup/tracing"
)

// Enqueuer inserts jobs inside tx, the store transaction that is about to commit. River's
// InsertManyTx fits it. On a scratch database tx is nil (its transactions are savepoints of a
// batch on a connection of its own, batch.go): an enqueuer there keeps the jobs itself, as the
// simulator does, and River does not run on one.
type Enqueuer func(ctx context.Context, tx *sql.Tx, jobs []recoup.Job) error

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
// it commits (on a database file, the jobs of all the store transactions committing together,
// in one call); it may be nil if nothing enqueues jobs, and a transaction that does then fails.
func NewStore(db *DB, enqueue Enqueuer) *Store {
	return &Store{db: db, enqueue: enqueue}
}

// Tx runs fn in a write transaction (BEGIN IMMEDIATE: the only writer until it ends) and
// commits if fn returns nil. fn's error is returned as it is. On a database file the
// transaction is a savepoint of a group of concurrent ones that commit together, and Tx
// returns once the group has committed (groupcommit.go). On a scratch database it is a
// savepoint of a batch that commits later (batch.go).
func (s *Store) Tx(ctx context.Context, fn func(tx recoup.Tx) error) error {
	if s.db.batch != nil {
		return s.batchedTx(ctx, fn)
	}
	return s.groupTx(ctx, fn)
}

func (s *Store) newTx(ctx context.Context, q querier) *tx {
	return &tx{ctx: ctx, q: q, cc: s.db.cases, sup: s.db.suppressed, resolved: s.db.resolved, imported: s.db.imported, changed: s.db.changed, olog: s.db.observations, events: s.db.events}
}

// run runs fn in t and then writes what t keeps until the commit (the timeline, the jobs) in
// sqlTx. The transaction ends with it: t is unusable afterwards.
func (s *Store) run(t *tx, sqlTx *sql.Tx, fn func(tx recoup.Tx) error) error {
	if err := s.runKeepingJobs(t, fn); err != nil {
		return err
	}
	return s.insertJobs(t.ctx, sqlTx, t.jobs)
}

// runKeepingJobs runs fn in t and writes its timeline; t keeps its jobs for insertJobs.
func (s *Store) runKeepingJobs(t *tx, fn func(tx recoup.Tx) error) error {
	defer func() { t.done = true }()
	if err := fn(t); err != nil {
		return err
	}
	t.done = true
	if err := t.writeTimeline(); err != nil {
		return err
	}
	if len(t.jobs) > 0 && s.enqueue == nil {
		return recoup.Errorf(recoup.EINTERNAL, "commit: %d jobs enqueued but the store has no enqueuer", len(t.jobs))
	}
	return nil
}

// insertJobs gives jobs to the enqueuer, in sqlTx.
func (s *Store) insertJobs(ctx context.Context, sqlTx *sql.Tx, jobs []recoup.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	if err := s.enqueue(ctx, sqlTx, jobs); err != nil {
		return fmt.Errorf("commit: enqueue %d jobs: %w", len(jobs), err)
	}
	return nil
}

// committed enters the cases the committed transaction read or wrote in the shared cache.
func (t *tx) committed() {
	if len(t.staged) > 0 {
		t.cc.Put(t.staged)
	}
	if len(t.added) > 0 || t.unlogged {
		t.olog.Committed(t.added, t.unlogged)
	}
	if len(t.storedEvents) > 0 || len(t.statusSet) > 0 {
		t.events.Committed(t.storedEvents, t.statusSet)
	}
}

// Ready returns nil when the database answers and is fully migrated.
func (s *Store) Ready(ctx context.Context) error { return s.db.Ready(ctx) }

// tx is a recoup.Tx. It is not safe for concurrent use, and not usable after fn returns.
type tx struct {
	ctx  context.Context
	q    querier
	jobs []recoup.Job
	done bool
	// cc is the store's case cache; staged holds the cases this transaction read or wrote, by
	// id, as stored: for UpdateCase, which sets only the indexed columns that changed
	// (caseupdate.go), and for the shared cache once the transaction commits (casecache.go).
	cc     *cache.Cases
	staged map[int64]recoup.Case
	// sup, on a scratch database, knows who has no suppression (suppression.go).
	sup *keySet[[2]string]
	// resolved, on a scratch database, knows which customers have no resolved case.
	resolved *keySet[string]
	// imported and changed, on a scratch database, know which customers have no past invoice and
	// no payment-method change.
	imported, changed *keySet[string]
	// olog, on a scratch database, holds the committed observations (package cache); added
	// holds the transaction's own, unlogged whether it added one the log cannot hold.
	olog     *cache.Observations
	added    []recoup.Observation
	unlogged bool
	// events, on a scratch database, holds the committed pending events (package cache);
	// storedEvents and statusSet are the transaction's changes to them.
	events       *cache.Events
	storedEvents []recoup.Event
	statusSet    []string
	// existing holds the other cases the transaction found to exist (see knows).
	existing map[int64]bool
	// timeline holds the appended entries, written just before commit (see timeline.go).
	timeline []pendingEntry
}

// knows reports whether the case exists, as far as the transaction can tell without a query:
// it read or wrote the case, or checked that it exists. Cases are never deleted, and nothing
// else writes while the transaction runs, so a listing of such a case's rows that finds none needs no check that the
// case exists (one query fewer for most listings of a case's messages).
func (t *tx) knows(id int64) bool {
	_, ok := t.staged[id]
	return ok || t.existing[id]
}

func (t *tx) Enqueue(jobs ...recoup.Job) error {
	if t.done {
		return recoup.Errorf(recoup.EINTERNAL, "enqueue: the transaction has ended")
	}
	trace := tracing.Inject(t.ctx) // the group's commit inserts the jobs under another context
	for _, j := range jobs {
		if err := j.Validate(); err != nil {
			return recoup.Errorf(recoup.EINVALID, "enqueue: %w", err)
		}
		if j.Trace == "" {
			j.Trace = trace
		}
		t.jobs = append(t.jobs, j)
	}
	return nil
}

func (t *tx) Cursor(name string) (string, error) {
	var v string
	err := t.q.QueryRowContext(t.ctx, `SELECT value FROM cursors WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
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
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO cursors (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return wrap(err, "set cursor %s", name)
	}
	return nil
}
