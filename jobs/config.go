package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/recoup-hq/recoup"
)

// Handler does the work of each job kind. The engine implements it. now is the Clock's time,
// read once when the job starts.
type Handler interface {
	ProcessEvent(ctx context.Context, now time.Time, eventID string) error
	Act(ctx context.Context, now time.Time, caseID int64, seq int) error
	// Message sends campaign step step of the case, if it still applies.
	Message(ctx context.Context, now time.Time, caseID int64, step int) error
	Reconcile(ctx context.Context, now time.Time) error
	// Lifecycle delivers a case's lifecycle event (case.opened, ...) to the merchant.
	Lifecycle(ctx context.Context, now time.Time, caseID int64, event string) error
}

// ReminderHandler is implemented by a Handler that also sends invoice reminders (the engine).
type ReminderHandler interface {
	// InvoiceReminder reminds the customer of an invoice sent to be paid, day days from its
	// due date, unless it is paid or voided.
	InvoiceReminder(ctx context.Context, now time.Time, invoiceID string, day int) error
}

// CardSwitchHandler is implemented by a Handler that makes a recovered case's subscription
// charge the new card that paid it (the engine).
type CardSwitchHandler interface {
	SwitchCard(ctx context.Context, now time.Time, caseID int64) error
}

// TakeoverHandler is implemented by a Handler that takes a case's invoice out of Stripe's
// automatic collection (the engine).
type TakeoverHandler interface {
	TakeOver(ctx context.Context, now time.Time, caseID int64) error
}

// CardExpiringHandler is implemented by a Handler that sends card expiring notices at a
// planned time (the engine).
type CardExpiringHandler interface {
	CardExpiringNotices(ctx context.Context, now time.Time, customerID string) error
}

// Clock tells the time to the handlers and, when set, to River.
type Clock interface {
	Now() time.Time
}

// MaxAttempts is how many times a job runs before River discards it. With River's attempt⁴
// second backoff the 25th attempt comes about 20 days after the first failure: a Stripe or
// database outage of days is ridden out, and a job still failing after that needs a person.
const MaxAttempts = 25

// Defaults applied by the constructors.
const (
	DefaultWorkers    = 4
	DefaultJobTimeout = time.Minute
	// DefaultRescueStuckAfter is twice DefaultJobTimeout: a live job's context is cancelled
	// at one minute, and the second minute leaves room for it to return and be recorded, so a
	// job still "running" after two minutes belongs to a dead process. Every handler is
	// idempotent, so even a wrong guess costs a repeated call, never a repeated charge. River's
	// rescuer looks every 30 s on the leader, so a job whose process was killed runs again
	// within about two and a half minutes of its start, inside the three minutes promised
	// for acknowledged events after a restart (docs/architecture.md, "Several processes").
	DefaultRescueStuckAfter  = 2 * time.Minute
	DefaultFetchPollInterval = time.Second
	// CredentialsRetryAfter is how long a job waits before it runs again when a dependency
	// refused recoup's credentials (EUNAUTHORIZED: Stripe answered 401 or 403). The job is
	// snoozed, which spends none of its attempts: it waits for a person to fix the key
	// however long that takes, and resumes within this delay once the key is accepted.
	CredentialsRetryAfter = 5 * time.Minute
)

// Config configures a Queue. The zero value works, with the wall clock and no reconciliation.
type Config struct {
	// Clock is the time given to handlers and, when not nil, to River (see the package
	// comment). nil: the wall clock, and River uses the database's clock.
	Clock Clock
	// Workers is how many jobs this process runs at once. 0: DefaultWorkers.
	Workers int
	// ReconcileEvery is the period of Handler.Reconcile, run by the elected leader, and once
	// when a leader starts. 0 disables reconciliation; otherwise at least one second.
	ReconcileEvery time.Duration
	// RescueStuckAfter is how long a job may be running before River's rescuer considers its
	// worker dead and schedules a retry (River's RescueStuckJobsAfter). It must exceed
	// JobTimeout: a live job's context is cancelled at JobTimeout, so only a job whose
	// process died or hangs past its cancellation is rescued. 0: DefaultRescueStuckAfter,
	// twice the default JobTimeout, so a dead process's work resumes within about two and a
	// half minutes (River's own default is an hour, sized for unknown job lengths).
	RescueStuckAfter time.Duration
	// JobTimeout cancels the context of a job running longer. 0: DefaultJobTimeout.
	JobTimeout time.Duration
	// FetchPollInterval is how often an idle worker looks for jobs when no insert
	// notification arrives. 0: DefaultFetchPollInterval.
	FetchPollInterval time.Duration
	// Logger receives River's logs. nil: discarded.
	Logger *slog.Logger
	// Lag, if set, is called as each job starts with its kind (process_event, act,
	// reconcile) and how late it starts: the Clock's now minus the time it was due.
	Lag func(kind string, lag time.Duration)
}

// withDefaults returns c with the defaults applied, or an EINVALID error.
func (c Config) withDefaults() (Config, error) {
	if c.Clock == nil {
		c.Clock = wallClock{}
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueStuckAfter == 0 {
		c.RescueStuckAfter = DefaultRescueStuckAfter
	}
	if c.FetchPollInterval == 0 {
		c.FetchPollInterval = DefaultFetchPollInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.Workers < 0:
		return c, recoup.Errorf(recoup.EINVALID, "jobs: Workers is %d, want at least 1", c.Workers)
	case c.ReconcileEvery < 0 || c.ReconcileEvery > 0 && c.ReconcileEvery < time.Second:
		return c, recoup.Errorf(recoup.EINVALID, "jobs: ReconcileEvery is %s, want 0 or at least 1s", c.ReconcileEvery)
	case c.JobTimeout < 0:
		return c, recoup.Errorf(recoup.EINVALID, "jobs: JobTimeout is %s, want a positive duration", c.JobTimeout)
	case c.RescueStuckAfter <= c.JobTimeout:
		return c, recoup.Errorf(recoup.EINVALID, "jobs: RescueStuckAfter (%s) must exceed JobTimeout (%s)", c.RescueStuckAfter, c.JobTimeout)
	case c.FetchPollInterval < time.Millisecond:
		return c, recoup.Errorf(recoup.EINVALID, "jobs: FetchPollInterval is %s, want at least 1ms", c.FetchPollInterval)
	}
	return c, nil
}

// wallClock is the Clock used when Config.Clock is nil.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// riverTime hands the Clock to River. NowOrNil never returns nil, which makes River pass the
// Clock's time to every query instead of letting the database use its own now().
type riverTime struct{ clock Clock }

func (t riverTime) Now() time.Time { return t.clock.Now() }

func (t riverTime) NowOrNil() *time.Time {
	now := t.clock.Now()
	return &now
}
