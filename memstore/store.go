// Package memstore is a recoup.Store kept in memory, for the simulator: a run's store lives as
// long as the run, needs no durability, and the SQL of a database (its statements prepared, but
// each bound, stepped and its rows scanned) was most of a simulation's CPU. It implements recoup.Store
// and recoup.Tx, and of the optional interfaces those the engine and the simulator use
// (recoup.ExperimentTx, recoup.SMSConsents, recoup.CostRecorder, recoup.CostStore), held to
// the storetest conformance suite's parts for them (storetest.RunCore). It implements none of
// the dashboard's other stores (analytics, access, personal data, ...): a type assertion for
// one of them fails, so a caller knows.
//
// Transactions are real: one runs at a time (a mutex, as SQLite's are exclusive), every write
// records how to undo itself, and a transaction that fails (its function returns an error or
// panics, or the enqueue hook fails) is undone in reverse order, its IDs included, so it
// leaves nothing. Values are copied in and out: a caller that changes a slice or a pointer it
// gave or got changes nothing stored. Times are kept as the SQL stores keep them (UTC, to the
// microsecond), and message and notice texts with their links redacted, so that what a read
// returns is what SQLite's store returns.
package memstore

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/tracing"
)

// Enqueuer receives the jobs of a transaction right before it commits; an error rolls the
// transaction back. It runs under the store's lock and must not use the store.
type Enqueuer func(ctx context.Context, jobs []recoup.Job) error

// Store is a recoup.Store in memory. It is safe for concurrent use: transactions and reads
// take turns.
type Store struct {
	mu      sync.Mutex
	enqueue Enqueuer
	d       data
}

var (
	_ recoup.Store        = (*Store)(nil)
	_ recoup.Tx           = (*tx)(nil)
	_ recoup.ExperimentTx = (*tx)(nil)
	_ recoup.SMSConsents  = (*tx)(nil)
	_ recoup.CostRecorder = (*tx)(nil)
	_ recoup.CostStore    = (*Store)(nil)
)

// New returns an empty store. enqueue receives each committing transaction's jobs; it may be
// nil if nothing enqueues jobs, and a transaction that does then fails.
func New(enqueue Enqueuer) *Store {
	s := &Store{enqueue: enqueue, d: newData()}
	s.d.timelines.mapped = &mappedChunks{}
	runtime.AddCleanup(s, (*mappedChunks).unmapAll, s.d.timelines.mapped)
	return s
}

// counters are the last IDs given, restored when a transaction rolls back (as SQLite's
// AUTOINCREMENT sequence is part of the transaction).
type counters struct {
	timeline, attempt, message, observation, notice, historyImport, assignment int64
}

// Tx runs fn in a transaction and commits if it returns nil; fn's error is returned as it is.
// No other transaction or read runs meanwhile.
func (s *Store) Tx(ctx context.Context, fn func(tx recoup.Tx) error) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{s: s, d: &s.d, ctx: ctx, ids: s.d.ids}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			t.rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	t.done = true
	if len(t.jobs) > 0 {
		if s.enqueue == nil {
			return recoup.Errorf(recoup.EINTERNAL, "commit: %d jobs enqueued but the store has no enqueuer", len(t.jobs))
		}
		if err := s.enqueue(ctx, t.jobs); err != nil {
			return fmt.Errorf("commit: enqueue %d jobs: %w", len(t.jobs), err)
		}
	}
	committed = true
	return nil
}

// Ready returns nil: a store in memory has no schema to migrate and always answers.
func (s *Store) Ready(ctx context.Context) error { return nil }

// tx is a recoup.Tx. It is not safe for concurrent use, and not usable after fn returns.
type tx struct {
	s    *Store
	d    *data
	ctx  context.Context
	ids  counters // the IDs when the transaction began
	undo []func()
	jobs []recoup.Job
	done bool
}

// onUndo records how to undo a write just made.
func (t *tx) onUndo(f func()) { t.undo = append(t.undo, f) }

// rollback undoes the transaction's writes, the latest first.
func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
	t.d.ids = t.ids
}

// live returns an error once the transaction has ended: its writes would escape it.
func (t *tx) live(what string) error {
	if t.done {
		return recoup.Errorf(recoup.EINTERNAL, "%s: the transaction has ended", what)
	}
	return nil
}

func (t *tx) Enqueue(jobs ...recoup.Job) error {
	if err := t.live("enqueue"); err != nil {
		return err
	}
	trace := tracing.Inject(t.ctx)
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
	if err := t.live("read cursor"); err != nil {
		return "", err
	}
	return t.d.cursors[name], nil
}

func (t *tx) SetCursor(name, value string) error {
	if err := t.live("set cursor"); err != nil {
		return err
	}
	if name == "" {
		return recoup.Errorf(recoup.EINVALID, "set cursor: empty name")
	}
	setKey(t, t.d.cursors, name, value)
	return nil
}

// setKey sets m[k] to v in the transaction: a rollback restores the old value, or its absence.
func setKey[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	t.onUndo(func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// stored returns t as the SQL stores return it: UTC, to the microsecond; the zero time stays
// zero.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}
