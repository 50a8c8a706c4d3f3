package jobs

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

// TestQueue holds both drivers to the same behaviour.
func TestQueue(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		queueSuite(t, sqliteDatabase)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		queueSuite(t, postgresDatabase)
	})
}

// queueSuite runs every scenario on a fresh database from open.
func queueSuite[TTx any](t *testing.T, open func(*testing.T) database[TTx]) {
	t.Run("committed insert runs with the clock's now", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		clock := &testClock{offset: 24 * time.Hour}
		q := migrated(t, db, testConfig(t, clock))
		h := &recorder{}
		events := start(t, q, h)

		insert(t, db, q, true, event("evt_1"))

		ev := waitFor(t, events, event("evt_1"), Completed)
		if ev.Attempt != 1 || h.count(event("evt_1")) != 1 {
			t.Errorf("attempt %d, handler ran %d times; want 1 and 1", ev.Attempt, h.count(event("evt_1")))
		}
		if now := h.last(t, event("evt_1")).Now; now.Before(time.Now().Add(23 * time.Hour)) {
			t.Errorf("handler got now = %s, not the test clock's (a day ahead)", now)
		}
	})

	t.Run("message jobs run the handler's Message with case and step", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		q := migrated(t, db, testConfig(t, &testClock{}))
		h := &recorder{}
		events := start(t, q, h)

		// One at a time: waitFor drops the events it skips, so two jobs in flight could finish
		// out of order and the second's event be lost.
		for _, j := range []recoup.Job{message(5, 0), message(5, 1)} {
			insert(t, db, q, true, j)
			if ev := waitFor(t, events, j, Completed); ev.Attempt != 1 || h.count(j) != 1 {
				t.Errorf("%+v: attempt %d, handler ran %d times; want 1 and 1", j, ev.Attempt, h.count(j))
			}
		}
		// A step whose job has finished may be queued again (a resumed case re-plans it).
		insert(t, db, q, true, message(5, 0))
		if waitFor(t, events, message(5, 0), Completed); h.count(message(5, 0)) != 2 {
			t.Errorf("a finished step queued again ran %d times in all, want 2", h.count(message(5, 0)))
		}
	})

	t.Run("rolled-back insert never runs", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		q := migrated(t, db, testConfig(t, &testClock{}))
		h := &recorder{}
		events := start(t, q, h)

		insert(t, db, q, false, event("evt_rolled_back"))
		insert(t, db, q, true, event("evt_after"))

		waitFor(t, events, event("evt_after"), Completed)
		if n := h.count(event("evt_rolled_back")); n != 0 {
			t.Errorf("rolled-back job ran %d times", n)
		}
		if r := rows(t, q, event("evt_rolled_back")); len(r) != 0 {
			t.Errorf("rolled-back job left %d rows", len(r))
		}
	})

	t.Run("scheduled job runs once the clock passes RunAt", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		clock := &testClock{}
		var lagMu sync.Mutex
		lags := map[string]time.Duration{}
		cfg := testConfig(t, clock)
		cfg.Lag = func(kind string, lag time.Duration) {
			lagMu.Lock()
			defer lagMu.Unlock()
			lags[kind] = lag
		}
		q := migrated(t, db, cfg)
		h := &recorder{}
		events := start(t, q, h)
		runAt := clock.Now().Add(time.Hour)
		later := act(7, 1)
		later.RunAt = runAt

		insert(t, db, q, true, later, event("evt_now"))

		// evt_now was inserted with the scheduled job and has run: the scheduled one must
		// still be waiting.
		waitFor(t, events, event("evt_now"), Completed)
		if n := h.count(act(7, 1)); n != 0 {
			t.Fatalf("job due in an hour ran %d times already", n)
		}
		if r := rows(t, q, act(7, 1)); len(r) != 1 || r[0].State != rivertype.JobStateScheduled {
			t.Fatalf("rows of the scheduled job: %+v, want one scheduled", r)
		}

		clock.Advance(time.Hour)

		waitFor(t, events, act(7, 1), Completed)
		if now := h.last(t, act(7, 1)).Now; now.Before(runAt) {
			t.Errorf("handler ran at %s, before RunAt %s", now, runAt)
		}
		lagMu.Lock()
		defer lagMu.Unlock()
		if lag, ok := lags[string(recoup.JobAct)]; !ok || lag < 0 || lag > time.Minute {
			t.Errorf("act lag = %s (reported: %t), want between 0 and a minute", lag, ok)
		}
	})

	t.Run("permanent errors cancel the job", func(t *testing.T) {
		t.Parallel()
		for _, code := range []string{recoup.EINVALID, recoup.ENOTFOUND} {
			for _, j := range []recoup.Job{act(1, 1), message(1, 0)} {
				t.Run(code+"/"+string(j.Kind), func(t *testing.T) {
					t.Parallel()
					db := open(t)
					q := migrated(t, db, testConfig(t, &testClock{}))
					h := &recorder{hook: func(context.Context, recoup.Job, int) error {
						return recoup.Errorf(code, "no such thing")
					}}
					events := start(t, q, h)

					insert(t, db, q, true, j)

					ev := waitFor(t, events, j, Cancelled)
					if ev.Attempt != 1 || !strings.Contains(ev.Err, "no such thing") || h.count(j) != 1 {
						t.Errorf("cancelled at attempt %d with %q after %d runs; want 1, an error containing %q, 1",
							ev.Attempt, ev.Err, h.count(j), "no such thing")
					}
				})
			}
		}
	})

	t.Run("transient errors are retried", func(t *testing.T) {
		t.Parallel()
		for name, fail := range map[string]error{
			"unavailable": recoup.Errorf(recoup.EUNAVAILABLE, "stripe is down"),
			"plain error": errors.New("connection reset"),
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				db := open(t)
				clock := &testClock{}
				q := migrated(t, db, testConfig(t, clock))
				h := &recorder{hook: func(_ context.Context, _ recoup.Job, n int) error {
					if n == 1 {
						return fail
					}
					return nil
				}}
				events := start(t, q, h)

				insert(t, db, q, true, event("evt_flaky"))

				if ev := waitFor(t, events, event("evt_flaky"), Retrying); ev.Err != fail.Error() {
					t.Errorf("attempt 1 failed with %q, want %q", ev.Err, fail.Error())
				}
				clock.Advance(time.Minute) // past River's first backoff (about a second)
				if ev := waitFor(t, events, event("evt_flaky"), Completed); ev.Attempt != 2 {
					t.Errorf("completed at attempt %d, want 2", ev.Attempt)
				}
			})
		}
	})

	t.Run("a refused key snoozes the job without spending an attempt", func(t *testing.T) {
		t.Parallel()
		for _, j := range []recoup.Job{event("evt_refused"), act(5, 1)} {
			t.Run(string(j.Kind), func(t *testing.T) {
				t.Parallel()
				db := open(t)
				clock := &testClock{}
				q := migrated(t, db, testConfig(t, clock))
				h := &recorder{hook: func(_ context.Context, _ recoup.Job, n int) error {
					if n <= 2 {
						return recoup.Errorf(recoup.EUNAUTHORIZED, "stripe: get invoice: HTTP 401 invalid_request_error")
					}
					return nil
				}}
				events := start(t, q, h)

				insert(t, db, q, true, j)

				for range 2 {
					waitFor(t, events, j, Snoozed)
					clock.Advance(CredentialsRetryAfter)
				}
				// Two refusals spent no attempt: the run that succeeds is still the first.
				if ev := waitFor(t, events, j, Completed); ev.Attempt != 1 || h.count(j) != 3 {
					t.Errorf("completed at attempt %d after %d runs; want attempt 1 after 3 runs", ev.Attempt, h.count(j))
				}
			})
		}
	})

	t.Run("a failed reconcile is retried, not discarded", func(t *testing.T) {
		t.Parallel()
		for name, fail := range map[string]error{
			"unavailable":  recoup.Errorf(recoup.EUNAVAILABLE, "stripe is down"),
			"unauthorized": recoup.Errorf(recoup.EUNAUTHORIZED, "stripe: list events: HTTP 401 invalid_request_error"),
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				db := open(t)
				clock := &testClock{}
				cfg := testConfig(t, clock)
				cfg.ReconcileEvery = time.Hour // the retry must come long before the next period
				q := migrated(t, db, cfg)
				reconcile := recoup.Job{Kind: KindReconcile}
				h := &recorder{hook: func(_ context.Context, j recoup.Job, n int) error {
					if j == reconcile && n == 1 {
						return fail
					}
					return nil
				}}
				events := start(t, q, h)

				var first Event
				for first.JobID == 0 {
					select {
					case ev := <-events:
						if ev.Job == reconcile {
							first = ev
						}
					case <-time.After(waitTimeout):
						t.Fatal("the reconcile run at start never ended")
					}
				}
				if first.Outcome != Retrying && first.Outcome != Snoozed {
					t.Fatalf("the failed reconcile was %s, want retrying or snoozed", first.Outcome)
				}
				clock.Advance(CredentialsRetryAfter) // past either wait, well before the next period
				if ev := waitFor(t, events, reconcile, Completed); ev.JobID != first.JobID {
					t.Errorf("reconcile job %d completed, want the failed one, %d, retried", ev.JobID, first.JobID)
				}
			})
		}
	})

	t.Run("duplicates are inserted once", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		clock := &testClock{}
		q := migrated(t, db, testConfig(t, clock))
		h := &recorder{}
		events := start(t, q, h)
		first := act(3, 1)
		first.RunAt = clock.Now().Add(time.Hour)
		second := act(3, 1)
		second.RunAt = clock.Now().Add(2 * time.Hour)

		step := message(3, 0)
		step.RunAt = first.RunAt
		insert(t, db, q, true, event("evt_dup"), event("evt_dup"), first, first, step, step)
		insert(t, db, q, true, event("evt_dup"), second, message(3, 0))
		waitFor(t, events, event("evt_dup"), Completed)
		insert(t, db, q, true, event("evt_dup")) // after completion: still a duplicate

		if r := rows(t, q, event("evt_dup")); len(r) != 1 {
			t.Errorf("%d rows for one event, want 1", len(r))
		}
		r := rows(t, q, act(3, 1))
		if len(r) != 1 || r[0].ScheduledAt.Sub(first.RunAt).Abs() > time.Millisecond {
			t.Errorf("act rows %+v, want one, scheduled at the first RunAt %s", r, first.RunAt)
		}
		r = rows(t, q, message(3, 0))
		if len(r) != 1 || r[0].ScheduledAt.Sub(step.RunAt).Abs() > time.Millisecond {
			t.Errorf("message rows %+v, want one, scheduled at the first RunAt %s", r, step.RunAt)
		}
		if n := h.count(event("evt_dup")); n != 1 {
			t.Errorf("event ran %d times, want 1", n)
		}
	})

	t.Run("reconcile runs at start and every period", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		cfg := testConfig(t, &testClock{})
		cfg.ReconcileEvery = time.Second
		q := migrated(t, db, cfg)
		h := &recorder{}
		events := start(t, q, h)
		reconcile := recoup.Job{Kind: KindReconcile}

		first := waitFor(t, events, reconcile, Completed)
		second := waitFor(t, events, reconcile, Completed)

		if first.JobID == second.JobID {
			t.Errorf("the same reconcile job %d completed twice", first.JobID)
		}
	})

	t.Run("ready only after migrate", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		q := db.newQueue(t, testConfig(t, &testClock{}))

		if err := q.Ready(t.Context()); recoup.ErrorCode(err) != recoup.EUNAVAILABLE {
			t.Errorf("Ready before Migrate = %v, want an %s error", err, recoup.EUNAVAILABLE)
		}
		for range 2 {
			if err := q.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
		}
		if err := q.Ready(t.Context()); err != nil {
			t.Errorf("Ready after Migrate = %v", err)
		}
	})

	t.Run("wall clock without a Clock", func(t *testing.T) {
		t.Parallel()
		db := open(t)
		q := migrated(t, db, Config{FetchPollInterval: 50 * time.Millisecond, Logger: testLogger(t)})
		h := &recorder{}
		events := start(t, q, h)
		due := event("evt_due")
		due.RunAt = time.Now().Add(-time.Minute) // already due: available at once

		insert(t, db, q, true, due)

		waitFor(t, events, event("evt_due"), Completed)
		if now := h.last(t, event("evt_due")).Now; time.Since(now).Abs() > time.Minute {
			t.Errorf("handler got now = %s, not the wall clock", now)
		}
	})
}

// The constructors are exercised above; these keep the two transaction types honest.
var (
	_ func(context.Context, *sql.Tx, []recoup.Job) error = (*Queue[*sql.Tx])(nil).InsertTx
	_ func(context.Context, pgx.Tx, []recoup.Job) error  = (*Queue[pgx.Tx])(nil).InsertTx
)
