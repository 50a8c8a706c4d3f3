package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sqlite"
	"github.com/recoup-hq/recoup/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		db := openDB(t, filepath.Join(t.TempDir(), "recoup.db"))
		s := sqlite.NewStore(db, jobTable(t, db))
		return storetest.Harness{
			Store:         s,
			Jobs:          func() []recoup.Job { return committedJobs(t, db) },
			AfterCaseRead: func(f func()) { sqlite.SetAfterCaseRead(s, f) },
			Unmigrated: func(t *testing.T) recoup.Store {
				db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "fresh.db"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return sqlite.NewStore(db, nil)
			},
		}
	})
}

// The simulator's scratch database passes the same conformance suite.
func TestScratchStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		open := func(t *testing.T, name string, migrate bool) *sqlite.DB {
			db, err := sqlite.OpenScratch(t.Context(), filepath.Join(t.TempDir(), name))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if migrate {
				if err := db.Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			return db
		}
		db := open(t, "scratch.db", true)
		jobs := &keptJobs{}
		return storetest.Harness{
			Store:      sqlite.NewStore(db, jobs.enqueue),
			Jobs:       jobs.committed,
			Unmigrated: func(t *testing.T) recoup.Store { return sqlite.NewStore(open(t, "fresh.db", false), nil) },
			Unisolated: true,
		}
	})
}

// openDB opens and migrates the database at dsn, closing it when the test ends.
func openDB(t testing.TB, dsn string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// jobTable creates a job table standing in for River's and returns an Enqueuer that inserts
// into it, inside the store's transaction, as River's InsertManyTx does.
func jobTable(t testing.TB, db *sqlite.DB) sqlite.Enqueuer {
	t.Helper()
	_, err := db.SQL().ExecContext(t.Context(), `CREATE TABLE IF NOT EXISTS test_jobs (
		id INTEGER PRIMARY KEY, kind TEXT, event_id TEXT, case_id INTEGER, seq INTEGER, run_at INTEGER)`)
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, tx *sql.Tx, jobs []recoup.Job) error {
		for _, j := range jobs {
			if j.Kind == storetest.KindRejected {
				return errors.New("test enqueuer: job rejected")
			}
			var runAt any
			if !j.RunAt.IsZero() {
				runAt = j.RunAt.UnixMicro()
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO test_jobs (kind, event_id, case_id, seq, run_at)
				VALUES (?, ?, ?, ?, ?)`, string(j.Kind), j.EventID, j.CaseID, j.Seq, runAt)
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// keptJobs is a scratch database's test enqueuer: the Enqueuer gets no transaction there, so
// it keeps the jobs itself. They count as committed when enqueued: the enqueuer runs last,
// just before the savepoint is released, which does not fail in these tests.
type keptJobs struct {
	mu   sync.Mutex
	jobs []recoup.Job
}

func (k *keptJobs) enqueue(_ context.Context, tx *sql.Tx, jobs []recoup.Job) error {
	if tx != nil {
		return errors.New("test enqueuer: a scratch database's enqueuer got a transaction")
	}
	for _, j := range jobs {
		if j.Kind == storetest.KindRejected {
			return errors.New("test enqueuer: job rejected")
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, j := range jobs {
		if !j.RunAt.IsZero() { // as the job table stores it
			j.RunAt = time.UnixMicro(j.RunAt.UnixMicro()).UTC()
		}
		k.jobs = append(k.jobs, j)
	}
	return nil
}

func (k *keptJobs) committed() []recoup.Job {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.jobs)
}

// committedJobs reads the job table.
func committedJobs(t testing.TB, db *sqlite.DB) []recoup.Job {
	t.Helper()
	rows, err := db.SQL().QueryContext(t.Context(),
		`SELECT kind, event_id, case_id, seq, run_at FROM test_jobs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var jobs []recoup.Job
	for rows.Next() {
		var j recoup.Job
		var runAt sql.NullInt64
		if err := rows.Scan(&j.Kind, &j.EventID, &j.CaseID, &j.Seq, &runAt); err != nil {
			t.Fatal(err)
		}
		if runAt.Valid {
			j.RunAt = time.UnixMicro(runAt.Int64).UTC()
		}
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestAccessStore(t *testing.T) {
	storetest.RunAccess(t, func(t *testing.T) storetest.Harness {
		db := openDB(t, filepath.Join(t.TempDir(), "recoup.db"))
		return storetest.Harness{Store: sqlite.NewStore(db, jobTable(t, db))}
	})
}

// The scratch store has no rollup triggers; its overview reads the rows and must agree.
func TestScratchAccessStore(t *testing.T) {
	storetest.RunAccess(t, func(t *testing.T) storetest.Harness {
		db, err := sqlite.OpenScratch(t.Context(), filepath.Join(t.TempDir(), "scratch.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return storetest.Harness{Store: sqlite.NewStore(db, jobTable(t, db)), Unisolated: true}
	})
}
