package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

// Queue is a River client for one database, with recoup's workers registered. TTx is the
// driver's transaction type: *sql.Tx for SQLite, pgx.Tx for PostgreSQL.
type Queue[TTx any] struct {
	client   *river.Client[TTx]
	migrator *rivermigrate.Migrator[TTx]
	// serialize runs migrate so that processes starting together do not race to apply the
	// same migration; nil where the database needs no help (SQLite serves one process).
	serialize func(ctx context.Context, migrate func(context.Context) error) error
	runner    *runner
}

// newQueue builds the River client and migrator shared by the constructors.
func newQueue[TTx any](driver riverdriver.Driver[TTx], cfg Config) (*Queue[TTx], error) {
	stubTime := cfg.Clock != nil
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &runner{clock: cfg.Clock, lag: cfg.Lag, reconcileEvery: cfg.ReconcileEvery}
	rc := &river.Config{
		// River refuses a poll interval shorter than the fetch cooldown.
		FetchCooldown:        min(river.FetchCooldownDefault, cfg.FetchPollInterval),
		FetchPollInterval:    cfg.FetchPollInterval,
		JobTimeout:           cfg.JobTimeout,
		Logger:               cfg.Logger,
		MaxAttempts:          MaxAttempts,
		Middleware:           []rivertype.Middleware{&traceMiddleware{}},
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		RescueStuckJobsAfter: cfg.RescueStuckAfter,
		Workers:              r.workers(),
	}
	if stubTime {
		rc.Test.Time = riverTime{cfg.Clock}
	}
	if cfg.ReconcileEvery > 0 {
		rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(
			river.PeriodicInterval(cfg.ReconcileEvery),
			func() (river.JobArgs, *river.InsertOpts) { return reconcileArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindReconcile, RunOnStart: true},
		)}
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: new River client: %w", err)
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: migrationLogger(cfg.Logger)})
	if err != nil {
		return nil, fmt.Errorf("jobs: new River migrator: %w", err)
	}
	return &Queue[TTx]{client: client, migrator: migrator, runner: r}, nil
}

// Client returns the River client, for River's UI and for tests. Recoup code enqueues through
// InsertTx.
func (q *Queue[TTx]) Client() *river.Client[TTx] { return q.client }

// InsertTx inserts jobs in tx, so that they exist if and only if tx commits. It has the shape
// of the stores' Enqueuer hook. A job whose RunAt is zero or not after the Clock's now is
// available at once; a later one is scheduled for RunAt. Duplicates are skipped (see the
// package comment). An invalid job fails the whole call with EINVALID.
func (q *Queue[TTx]) InsertTx(ctx context.Context, tx TTx, jobs []recoup.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	params, err := insertParams(jobs, q.runner.clock.Now())
	if err != nil {
		return err
	}
	if _, err := q.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("jobs: insert %d jobs: %w", len(params), err)
	}
	return nil
}

// Migrate applies River's own migrations, up to the latest. It is idempotent.
func (q *Queue[TTx]) Migrate(ctx context.Context) error {
	migrate := func(ctx context.Context) error {
		_, err := q.migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	var err error
	if q.serialize != nil {
		err = q.serialize(ctx, migrate)
	} else {
		err = migrate(ctx)
	}
	if err != nil {
		return fmt.Errorf("jobs: apply River migrations: %w", err)
	}
	return nil
}

// Ready returns nil when the database answers and River's migrations are all applied, and an
// EUNAVAILABLE error otherwise.
func (q *Queue[TTx]) Ready(ctx context.Context) error {
	res, err := q.migrator.Validate(ctx, nil)
	if err != nil {
		return recoup.Errorf(recoup.EUNAVAILABLE, "jobs: check River migrations: %w", err)
	}
	if !res.OK {
		return recoup.Errorf(recoup.EUNAVAILABLE, "jobs: River migrations missing: %s", strings.Join(res.Messages, "; "))
	}
	return nil
}

// Start starts the workers, which call h, and, when ReconcileEvery is set, the periodic
// reconciliation. ctx serves the start-up and passes its values to the jobs, but its
// cancellation does not stop them: Stop does.
func (q *Queue[TTx]) Start(ctx context.Context, h Handler) error {
	if h == nil {
		return recoup.Errorf(recoup.EINVALID, "jobs: Start without a handler")
	}
	q.runner.handler.Store(&h)
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start River: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish. If ctx ends first, it
// cancels the running jobs' contexts and returns ctx's error without waiting further; a job
// that ignores its context is left to the rescuer. Stopping a Queue that is not running
// returns nil.
func (q *Queue[TTx]) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		done, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancel()
		_ = q.client.StopAndCancel(done) // returns at once: done is already cancelled
	}
	return fmt.Errorf("jobs: stop River: %w", err)
}
