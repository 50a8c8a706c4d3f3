package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

// runner is shared by the workers, which River needs at construction, before the Handler
// exists: Start stores the Handler here.
type runner struct {
	clock   Clock
	handler atomic.Pointer[Handler]
	lag     func(kind string, lag time.Duration)
	// reconcileEvery is the period of the reconciliation, the longest wait between its
	// retries.
	reconcileEvery time.Duration
}

// workers registers one River worker per job kind, each calling the runner's Handler.
func (r *runner) workers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[processEventArgs]) error {
		return r.run(job.JobRow, func(h Handler, now time.Time) error {
			return h.ProcessEvent(ctx, now, job.Args.EventID)
		})
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[actArgs]) error {
		return r.run(job.JobRow, func(h Handler, now time.Time) error {
			return h.Act(ctx, now, job.Args.CaseID, job.Args.Seq)
		})
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[messageArgs]) error {
		return r.run(job.JobRow, func(h Handler, now time.Time) error {
			return h.Message(ctx, now, job.Args.CaseID, job.Args.Seq)
		})
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[lifecycleArgs]) error {
		return r.run(job.JobRow, func(h Handler, now time.Time) error {
			return h.Lifecycle(ctx, now, job.Args.CaseID, job.Args.Event)
		})
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[invoiceReminderArgs]) error {
		return r.run(job.JobRow, func(h Handler, now time.Time) error {
			rh, ok := h.(ReminderHandler)
			if !ok {
				return recoup.Errorf(recoup.EINVALID, "jobs: the handler sends no invoice reminders")
			}
			return rh.InvoiceReminder(ctx, now, job.Args.InvoiceID, job.Args.Seq)
		})
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[cardSwitchArgs]) error {
		return r.run(job.JobRow, func(h Handler, now time.Time) error {
			ch, ok := h.(CardSwitchHandler)
			if !ok {
				return recoup.Errorf(recoup.EINVALID, "jobs: the handler switches no cards")
			}
			return ch.SwitchCard(ctx, now, job.Args.CaseID)
		})
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[cardExpiringArgs]) error {
		return r.run(job.JobRow, func(h Handler, now time.Time) error {
			nh, ok := h.(CardExpiringHandler)
			if !ok {
				return recoup.Errorf(recoup.EINVALID, "jobs: the handler sends no card expiring notices")
			}
			return nh.CardExpiringNotices(ctx, now, job.Args.CustomerID)
		})
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, job *river.Job[takeoverArgs]) error {
		return r.run(job.JobRow, func(h Handler, now time.Time) error {
			th, ok := h.(TakeoverHandler)
			if !ok {
				return recoup.Errorf(recoup.EINVALID, "jobs: the handler takes no invoice over")
			}
			return th.TakeOver(ctx, now, job.Args.CaseID)
		})
	}))
	river.AddWorker(w, &reconcileWorker{r: r})
	return w
}

// reconcileWorker runs the periodic reconciliation. Unlike the other kinds it is a worker
// type rather than a WorkFunc, for NextRetry: a failed reconciliation is retried with
// River's backoff, but never later than one period, so that it does not fall behind the
// schedule it would have kept had it succeeded. While it waits to be retried, the periodic
// enqueuer adds no other (see reconcileArgs.InsertOpts).
type reconcileWorker struct {
	river.WorkerDefaults[reconcileArgs]
	r *runner
}

func (w *reconcileWorker) Work(ctx context.Context, job *river.Job[reconcileArgs]) error {
	return w.r.run(job.JobRow, func(h Handler, now time.Time) error {
		return h.Reconcile(ctx, now)
	})
}

// NextRetry is River's backoff (attempt⁴ seconds) capped at the reconciliation's period.
func (w *reconcileWorker) NextRetry(job *river.Job[reconcileArgs]) time.Time {
	n := time.Duration(max(job.Attempt, 1))
	backoff := n * n * n * n * time.Second
	if w.r.reconcileEvery > 0 {
		backoff = min(backoff, w.r.reconcileEvery)
	}
	return w.r.clock.Now().Add(backoff)
}

// run reads the clock once, reports the job's lag and calls work, turning its error into
// River's verdict.
func (r *runner) run(row *rivertype.JobRow, work func(h Handler, now time.Time) error) error {
	h := r.handler.Load()
	if h == nil {
		return errors.New("jobs: a worker ran before Start supplied the handler")
	}
	now := r.clock.Now()
	if r.lag != nil {
		r.lag(row.Kind, now.Sub(row.ScheduledAt))
	}
	return verdict(work(*h, now), now)
}

// verdict maps a handler error to River's outcome: nil completes the job, RunLater snoozes
// it until then, EINVALID and ENOTFOUND cancel it (no retry can succeed), EUNAUTHORIZED
// snoozes it for CredentialsRetryAfter (a refused key is fixed by a person, in hours or
// days, and the job must neither use up its attempts meanwhile nor be given up), and
// anything else is retried with backoff.
func verdict(err error, now time.Time) error {
	if later, ok := errors.AsType[*recoup.RunLater](err); ok {
		return river.JobSnooze(max(later.At.Sub(now), time.Second))
	}
	switch recoup.ErrorCode(err) {
	case "":
		return nil
	case recoup.EINVALID, recoup.ENOTFOUND:
		return river.JobCancel(err)
	case recoup.EUNAUTHORIZED:
		return &credentialsRefused{err: err, snooze: river.JobSnooze(CredentialsRetryAfter)}
	}
	return err
}

// credentialsRefused is River's snooze that still carries the handler's error, so that the
// log and errors.Is see why the job waits.
type credentialsRefused struct {
	err    error
	snooze error
}

func (c *credentialsRefused) Error() string { return c.err.Error() }

// Unwrap exposes both: River finds its snooze with errors.As, callers the cause.
func (c *credentialsRefused) Unwrap() []error { return []error{c.snooze, c.err} }
