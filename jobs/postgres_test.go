package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/recoup-hq/recoup"
)

// TestPostgresProcesses runs several Queues on one schema, each with its own pool, as
// separate recoup processes sharing a database would.
func TestPostgresProcesses(t *testing.T) {
	t.Parallel()

	t.Run("each job runs once across two processes", func(t *testing.T) {
		t.Parallel()
		db := postgresDatabase(t)
		clock := &testClock{}
		h := &recorder{}
		qa := migrated(t, db, testConfig(t, clock))
		qb := migrated(t, db, testConfig(t, clock))
		events := merge(start(t, qa, h), start(t, qb, h))
		const n = 40
		var jobs []recoup.Job
		for i := range n {
			jobs = append(jobs, event(fmt.Sprintf("evt_%02d", i)))
		}

		insert(t, db, qa, true, jobs[:n/2]...)
		insert(t, db, qb, true, jobs[n/2:]...)
		insert(t, db, qb, true, jobs...) // every one a duplicate

		done := map[recoup.Job]bool{}
		timeout := time.After(waitTimeout)
		for len(done) < n {
			select {
			case ev := <-events:
				if ev.Outcome != Completed {
					t.Fatalf("unexpected %+v", ev)
				}
				if done[ev.Job] {
					t.Fatalf("%+v completed twice", ev.Job)
				}
				done[ev.Job] = true
			case <-timeout:
				t.Fatalf("%d of %d jobs completed after %s", len(done), n, waitTimeout)
			}
		}
		for _, j := range jobs {
			if c := h.count(j); c != 1 {
				t.Errorf("%s ran %d times, want 1", j.EventID, c)
			}
		}
	})

	t.Run("a dead process's job is rescued by another", func(t *testing.T) {
		t.Parallel()
		dsn := testDSN(t)
		// River v0.47's rescuer compares a job's attempted_at, stamped from the Clock, with
		// time.Now: for the job to look stuck, the clock must be more than RescueStuckAfter
		// behind the wall clock when the first process takes it.
		clock := &testClock{offset: -2 * time.Hour}
		cfg := Config{Clock: clock, RescueStuckAfter: time.Hour, FetchPollInterval: 50 * time.Millisecond}
		stuck := event("evt_stuck")

		// Process A takes the job and hangs in the handler until the test ends.
		poolA, kill := killablePool(t, dsn)
		cfgA := cfg
		cfgA.Logger = slog.New(slog.DiscardHandler) // A's errors after its death are expected
		qa, err := NewPostgres(poolA, cfgA)
		if err != nil {
			t.Fatal(err)
		}
		if err := qa.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		taken := make(chan struct{})
		release := make(chan struct{})
		var once sync.Once
		ha := &recorder{hook: func(context.Context, recoup.Job, int) error {
			once.Do(func() { close(taken) })
			<-release
			return nil
		}}
		if err := qa.Start(t.Context(), ha); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			close(release)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = qa.Stop(ctx) // A is dead: it cannot record anything; only its goroutines end
		})
		err = pgx.BeginFunc(t.Context(), poolA, func(tx pgx.Tx) error {
			return qa.InsertTx(t.Context(), tx, []recoup.Job{stuck})
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-taken:
		case <-time.After(waitTimeout):
			t.Fatal("process A never took the job")
		}

		// A dies: its connections drop and no new ones open, as if the process were killed.
		// Its leadership lease and the job's attempt are stamped with the clock, so moving
		// the clock past both lets B take over.
		kill()
		clock.Advance(3 * time.Hour)
		cfgB := cfg
		cfgB.Logger = testLogger(t)
		qb, err := NewPostgres(newPool(t, dsn), cfgB)
		if err != nil {
			t.Fatal(err)
		}
		hb := &recorder{}
		events := start(t, qb, hb)

		ev := waitFor(t, events, stuck, Completed)
		if ev.Attempt != 2 || hb.count(stuck) != 1 || ha.count(stuck) != 1 {
			t.Errorf("completed at attempt %d; ran %d times on A, %d on B; want 2, 1, 1",
				ev.Attempt, ha.count(stuck), hb.count(stuck))
		}
	})

	t.Run("processes migrate at once", func(t *testing.T) {
		t.Parallel()
		db := postgresDatabase(t)
		queues := []*Queue[pgx.Tx]{
			db.newQueue(t, testConfig(t, &testClock{})),
			db.newQueue(t, testConfig(t, &testClock{})),
			db.newQueue(t, testConfig(t, &testClock{})),
		}

		errs := make(chan error, len(queues))
		for _, q := range queues {
			go func() { errs <- q.Migrate(t.Context()) }()
		}

		for range queues {
			if err := <-errs; err != nil {
				t.Errorf("Migrate: %v", err)
			}
		}
		if err := queues[0].Ready(t.Context()); err != nil {
			t.Errorf("Ready: %v", err)
		}
	})
}

// killablePool returns a pool and a function that kills it as a process death would: its
// server connections are terminated and no new ones open. Like a dead process's, the pool is
// abandoned, never closed.
func killablePool(t *testing.T, dsn string) (*pgxpool.Pool, func()) {
	t.Helper()
	app := fmt.Sprintf("recoup_jobs_doomed_%x", rand.Uint64())
	var dead atomic.Bool
	errDead := errors.New("process killed by the test")
	cfg := poolConfig(t, dsn)
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	cfg.BeforeConnect = func(context.Context, *pgx.ConnConfig) error {
		if dead.Load() {
			return errDead
		}
		return nil
	}
	cfg.PrepareConn = func(context.Context, *pgx.Conn) (bool, error) {
		if dead.Load() {
			return false, errDead
		}
		return true, nil
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	kill := func() {
		t.Helper()
		dead.Store(true)
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		if _, err := conn.Exec(t.Context(),
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app); err != nil {
			t.Fatal(err)
		}
	}
	return pool, kill
}
