package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/pgtest"
	"github.com/recoup-hq/recoup/postgres"
	"github.com/recoup-hq/recoup/storetest"
)

func TestStore(t *testing.T) {
	pgtest.DSN(t) // skips the suite at once when there is no database
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		db := openDB(t)
		s := postgres.NewStore(db, jobTable(t, db))
		return storetest.Harness{
			Store:         s,
			Jobs:          func() []recoup.Job { return committedJobs(t, db) },
			AfterCaseRead: func(f func()) { postgres.SetAfterCaseRead(s, f) },
			Unmigrated: func(t *testing.T) recoup.Store {
				db, err := postgres.Open(t.Context(), pgtest.DSN(t))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return postgres.NewStore(db, nil)
			},
		}
	})
}

// openDB opens and migrates a database in a schema of the test's own, closing it when the
// test ends.
func openDB(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), pgtest.DSN(t))
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
func jobTable(t testing.TB, db *postgres.DB) postgres.Enqueuer {
	t.Helper()
	_, err := db.Pool().Exec(t.Context(), `CREATE TABLE test_jobs (
		id bigint GENERATED ALWAYS AS IDENTITY, kind text, event_id text, case_id bigint, seq int, run_at timestamptz)`)
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, tx pgx.Tx, jobs []recoup.Job) error {
		for _, j := range jobs {
			if j.Kind == storetest.KindRejected {
				return errors.New("test enqueuer: job rejected")
			}
			var runAt any
			if !j.RunAt.IsZero() {
				runAt = j.RunAt
			}
			_, err := tx.Exec(ctx, `INSERT INTO test_jobs (kind, event_id, case_id, seq, run_at)
				VALUES ($1, $2, $3, $4, $5)`, string(j.Kind), j.EventID, j.CaseID, j.Seq, runAt)
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// committedJobs reads the job table.
func committedJobs(t testing.TB, db *postgres.DB) []recoup.Job {
	t.Helper()
	rows, err := db.Pool().Query(t.Context(), `SELECT kind, event_id, case_id, seq, run_at FROM test_jobs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (recoup.Job, error) {
		var j recoup.Job
		var runAt *time.Time
		if err := r.Scan(&j.Kind, &j.EventID, &j.CaseID, &j.Seq, &runAt); err != nil {
			return j, err
		}
		if runAt != nil {
			j.RunAt = runAt.UTC()
		}
		return j, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestAccessStore(t *testing.T) {
	pgtest.DSN(t) // skips the suite at once when there is no database
	storetest.RunAccess(t, func(t *testing.T) storetest.Harness {
		db := openDB(t)
		return storetest.Harness{Store: postgres.NewStore(db, jobTable(t, db))}
	})
}
