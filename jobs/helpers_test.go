package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite"

	"github.com/recoup-hq/recoup"
)

// waitTimeout bounds every wait for a job. River's scheduler releases scheduled and rescued
// jobs on a 5 s tick, so a healthy wait takes at most a few seconds.
const waitTimeout = 30 * time.Second

// testClock is the wall clock plus an offset the test moves. It keeps flowing because River
// waits on real timers computed from it (the periodic enqueuer, a retry due in a second): a
// clock that stood still would stall them.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock d ahead.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// call is one handler invocation.
type call struct {
	Job recoup.Job
	Now time.Time
}

// recorder is a Handler that records its calls and answers with hook, if set; n counts the
// calls for that job, from 1.
type recorder struct {
	hook func(ctx context.Context, j recoup.Job, n int) error

	mu    sync.Mutex
	calls []call
}

func (r *recorder) ProcessEvent(ctx context.Context, now time.Time, eventID string) error {
	return r.record(ctx, now, recoup.Job{Kind: recoup.JobProcessEvent, EventID: eventID})
}

func (r *recorder) Act(ctx context.Context, now time.Time, caseID int64, seq int) error {
	return r.record(ctx, now, recoup.Job{Kind: recoup.JobAct, CaseID: caseID, Seq: seq})
}

func (r *recorder) Message(ctx context.Context, now time.Time, caseID int64, step int) error {
	return r.record(ctx, now, recoup.Job{Kind: recoup.JobMessage, CaseID: caseID, Seq: step})
}

func (r *recorder) Lifecycle(ctx context.Context, now time.Time, caseID int64, event string) error {
	return r.record(ctx, now, recoup.Job{Kind: recoup.JobLifecycle, CaseID: caseID, Event: event})
}

func (r *recorder) Reconcile(ctx context.Context, now time.Time) error {
	return r.record(ctx, now, recoup.Job{Kind: KindReconcile})
}

func (r *recorder) record(ctx context.Context, now time.Time, j recoup.Job) error {
	r.mu.Lock()
	r.calls = append(r.calls, call{Job: j, Now: now})
	n := r.countLocked(j)
	r.mu.Unlock()
	if r.hook == nil {
		return nil
	}
	return r.hook(ctx, j, n)
}

// count returns how many times the handler ran j.
func (r *recorder) count(j recoup.Job) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.countLocked(j)
}

func (r *recorder) countLocked(j recoup.Job) int {
	n := 0
	for _, c := range r.calls {
		if c.Job == j {
			n++
		}
	}
	return n
}

// last returns the latest call for j.
func (r *recorder) last(t *testing.T, j recoup.Job) call {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.calls) - 1; i >= 0; i-- {
		if r.calls[i].Job == j {
			return r.calls[i]
		}
	}
	t.Fatalf("handler never ran %+v", j)
	return call{}
}

// event is a process_event job, act an act job, message a message job.
func event(id string) recoup.Job { return recoup.Job{Kind: recoup.JobProcessEvent, EventID: id} }

func act(caseID int64, seq int) recoup.Job {
	return recoup.Job{Kind: recoup.JobAct, CaseID: caseID, Seq: seq}
}

func message(caseID int64, step int) recoup.Job {
	return recoup.Job{Kind: recoup.JobMessage, CaseID: caseID, Seq: step}
}

// waitFor returns the first event for job j with the given outcome, failing the test after
// waitTimeout. Other events are skipped.
func waitFor(t *testing.T, events <-chan Event, j recoup.Job, outcome Outcome) Event {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("subscription closed while waiting for %s of %+v", outcome, j)
			}
			if ev.Job == j && ev.Outcome == outcome {
				return ev
			}
		case <-timeout:
			t.Fatalf("%+v not %s after %s", j, outcome, waitTimeout)
		}
	}
}

// merge forwards the events of several queues, as if from one.
func merge(chs ...<-chan Event) <-chan Event {
	out := make(chan Event)
	for _, ch := range chs {
		go func() {
			for ev := range ch {
				out <- ev
			}
		}()
	}
	return out
}

// database is a fresh database of one kind, on which the tests build queues.
type database[TTx any] struct {
	// newQueue builds an unmigrated Queue; with PostgreSQL each has its own pool, as a
	// process would.
	newQueue func(t *testing.T, cfg Config) *Queue[TTx]
	// inTx runs fn in a transaction and commits it, or rolls it back if commit is false.
	inTx func(ctx context.Context, commit bool, fn func(tx TTx) error) error
}

// insert enqueues jobs through q in a transaction that commits, or rolls back if commit is
// false.
func insert[TTx any](t *testing.T, db database[TTx], q *Queue[TTx], commit bool, jobs ...recoup.Job) {
	t.Helper()
	err := db.inTx(t.Context(), commit, func(tx TTx) error { return q.InsertTx(t.Context(), tx, jobs) })
	if err != nil {
		t.Fatalf("insert %+v: %v", jobs, err)
	}
}

// migrated builds a Queue with River's tables in place.
func migrated[TTx any](t *testing.T, db database[TTx], cfg Config) *Queue[TTx] {
	t.Helper()
	q := db.newQueue(t, cfg)
	if err := q.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return q
}

// start subscribes to q and starts it with h, stopping it when the test ends.
func start[TTx any](t *testing.T, q *Queue[TTx], h Handler) <-chan Event {
	t.Helper()
	events, cancel := q.Subscribe()
	if err := q.Start(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return events
}

// rows returns the River rows of job j, any state.
func rows[TTx any](t *testing.T, q *Queue[TTx], j recoup.Job) []*rivertype.JobRow {
	t.Helper()
	res, err := q.Client().JobList(t.Context(), river.NewJobListParams().Kinds(string(j.Kind)).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	var out []*rivertype.JobRow
	for _, row := range res.Jobs {
		got, err := jobOf(row)
		if err != nil {
			t.Fatal(err)
		}
		if got == j {
			out = append(out, row)
		}
	}
	return out
}

// testConfig is a Config for tests: the given clock, quick polling, logs to the test.
func testConfig(t *testing.T, clock Clock) Config {
	return Config{Clock: clock, FetchPollInterval: 50 * time.Millisecond, Logger: testLogger(t)}
}

// testLogger sends River's warnings and errors to the test log until the test's cleanups
// are done; anything later (a goroutine of an abandoned queue) is dropped, since logging
// after a test ends panics.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// sqliteFile opens a scratch SQLite file the way the sqlite store does, closed when the test
// ends.
func sqliteFile(t *testing.T) *sql.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "recoup.db") +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqliteDatabase opens a SQLite file the way the sqlite store does.
func sqliteDatabase(t *testing.T) database[*sql.Tx] {
	t.Helper()
	db := sqliteFile(t)
	return database[*sql.Tx]{
		newQueue: func(t *testing.T, cfg Config) *Queue[*sql.Tx] {
			t.Helper()
			q, err := NewSQLite(db, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return q
		},
		inTx: func(ctx context.Context, commit bool, fn func(*sql.Tx) error) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if err := fn(tx); err != nil || !commit {
				return errors.Join(err, tx.Rollback())
			}
			return tx.Commit()
		},
	}
}

// postgresDatabase returns a fresh PostgreSQL schema.
func postgresDatabase(t *testing.T) database[pgx.Tx] {
	t.Helper()
	dsn := testDSN(t)
	admin := newPool(t, dsn)
	return database[pgx.Tx]{
		newQueue: func(t *testing.T, cfg Config) *Queue[pgx.Tx] {
			t.Helper()
			q, err := NewPostgres(newPool(t, dsn), cfg)
			if err != nil {
				t.Fatal(err)
			}
			return q
		},
		inTx: func(ctx context.Context, commit bool, fn func(pgx.Tx) error) error {
			tx, err := admin.Begin(ctx)
			if err != nil {
				return err
			}
			if err := fn(tx); err != nil || !commit {
				return errors.Join(err, tx.Rollback(ctx))
			}
			return tx.Commit(ctx)
		},
	}
}

// newPool opens a small pool, closed when the test ends.
func newPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.NewWithConfig(t.Context(), poolConfig(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// poolConfig is the configuration of a test pool: few connections, since tests run side by
// side on one server.
func poolConfig(t *testing.T, dsn string) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	return cfg
}

// testDSN returns a DSN whose search_path is a new schema, dropped when the test ends. It
// skips the test when RECOUP_TEST_DATABASE_URL is unset, unless CI=true.
func testDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("RECOUP_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RECOUP_TEST_DATABASE_URL is not set")
		}
		t.Skip("RECOUP_TEST_DATABASE_URL is not set")
	}
	schema := fmt.Sprintf("jobs_test_%x", rand.Uint64())
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
