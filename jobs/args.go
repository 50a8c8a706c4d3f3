package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/recoup-hq/recoup"
)

// KindReconcile is the River kind of the periodic reconciliation job. It is not a
// recoup.JobKind: stores never enqueue it.
const KindReconcile = "reconcile"

// processEventArgs are the River arguments of a recoup.JobProcessEvent job.
type processEventArgs struct {
	EventID string `json:"event_id" river:"unique"`
}

func (processEventArgs) Kind() string { return string(recoup.JobProcessEvent) }

// InsertOpts makes the event ID the job's unique key, in River's default states (available,
// completed, pending, retryable, running, scheduled): a redelivered webhook or a
// reconciliation that finds the same event adds nothing while the first job is pending or
// kept after completion.
func (processEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// actArgs are the River arguments of a recoup.JobAct job.
type actArgs struct {
	CaseID int64 `json:"case_id" river:"unique"`
	Seq    int   `json:"seq" river:"unique"`
}

func (actArgs) Kind() string { return string(recoup.JobAct) }

// InsertOpts makes (case ID, Seq) the unique key. Seq is new for every plan, so a re-plan
// always inserts; only the same plan enqueued twice is skipped.
func (actArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// messageArgs are the River arguments of a recoup.JobMessage job. Seq is the campaign step,
// from 0, so neither field is omitted when empty: the unique key must tell step 0 apart.
type messageArgs struct {
	CaseID int64 `json:"case_id" river:"unique"`
	Seq    int   `json:"seq" river:"unique"`
}

func (messageArgs) Kind() string { return string(recoup.JobMessage) }

// InsertOpts makes (case ID, step) the unique key among the jobs still to run: a step
// enqueued twice, by a re-plan or a second process, is inserted once. A step whose job has
// finished may be queued again (a resumed case plans its due step afresh; a step skipped for
// the case's category at the time may apply now): the store's one message per (case, step) is
// what keeps a step from being sent twice.
func (messageArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// lifecycleArgs are the River arguments of a recoup.JobLifecycle job.
type lifecycleArgs struct {
	CaseID int64  `json:"case_id" river:"unique"`
	Event  string `json:"event" river:"unique"`
}

func (lifecycleArgs) Kind() string { return string(recoup.JobLifecycle) }

// InsertOpts makes (case ID, event type) the unique key: each event of a case is delivered
// once per River retention window, however often a re-run enqueues it.
func (lifecycleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// invoiceReminderArgs are the River arguments of a recoup.JobInvoiceReminder job. Seq is the
// day relative to the due date and may be 0 or negative: neither field is omitted.
type invoiceReminderArgs struct {
	InvoiceID string `json:"invoice_id" river:"unique"`
	Seq       int    `json:"seq" river:"unique"`
}

func (invoiceReminderArgs) Kind() string { return string(recoup.JobInvoiceReminder) }

// InsertOpts makes (invoice, day) the unique key: a redelivered or second finalization event
// plans each reminder once. The notice's key is what keeps it from being sent twice.
func (invoiceReminderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// cardSwitchArgs are the River arguments of a recoup.JobCardSwitch job.
type cardSwitchArgs struct {
	CaseID int64 `json:"case_id" river:"unique"`
}

func (cardSwitchArgs) Kind() string { return string(recoup.JobCardSwitch) }

// InsertOpts makes the case the unique key: a case is recovered once, so its card is
// switched once; the engine's timeline check covers a re-run.
func (cardSwitchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// cardExpiringArgs are the River arguments of a recoup.JobCardExpiring job.
type cardExpiringArgs struct {
	CustomerID string `json:"customer_id" river:"unique"`
}

func (cardExpiringArgs) Kind() string { return string(recoup.JobCardExpiring) }

// InsertOpts makes the customer the unique key while a check waits or runs: a second event
// about the same customer's card adds nothing, since the check reads all their renewals. A
// completed check does not count: a later event must be able to plan another, and the
// notices' keys keep any notice from being sent twice.
func (cardExpiringArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable,
		rivertype.JobStatePending,
		rivertype.JobStateRetryable,
		rivertype.JobStateRunning,
		rivertype.JobStateScheduled,
	}}}
}

// takeoverArgs are the River arguments of a recoup.JobTakeover job.
type takeoverArgs struct {
	CaseID int64 `json:"case_id" river:"unique"`
}

func (takeoverArgs) Kind() string { return string(recoup.JobTakeover) }

// InsertOpts makes the case the unique key: an invoice is taken over once; the case's
// TakenOverAt and the call's idempotency key cover a re-run.
func (takeoverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// reconcileArgs are the (empty) River arguments of the periodic reconciliation.
type reconcileArgs struct{}

func (reconcileArgs) Kind() string { return KindReconcile }

// InsertOpts keeps at most one reconciliation waiting, running or waiting to be retried, so
// a slow or failing one does not pile up successors. A failed one is retried (see
// reconcileWorker) with the client's MaxAttempts; one snoozed because Stripe refused the key
// is scheduled, and waits for as long as the key is refused.
func (reconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable,
			rivertype.JobStatePending,
			rivertype.JobStateRetryable,
			rivertype.JobStateRunning,
			rivertype.JobStateScheduled,
		}},
	}
}

// insertParams maps jobs to River insertions. A job due at or before now is made available at
// once rather than scheduled, since River's scheduler would only release it at its next tick.
// Jobs with the same unique key as an earlier one in the list are dropped: PostgreSQL refuses
// to resolve one key twice in a single insert.
func insertParams(jobs []recoup.Job, now time.Time) ([]river.InsertManyParams, error) {
	params := make([]river.InsertManyParams, 0, len(jobs))
	seen := make(map[river.JobArgs]bool, len(jobs))
	for _, j := range jobs {
		args, err := argsOf(j)
		if err != nil {
			return nil, err
		}
		if seen[args] {
			continue
		}
		seen[args] = true
		p := river.InsertManyParams{Args: args}
		if j.RunAt.After(now) {
			p.InsertOpts = &river.InsertOpts{ScheduledAt: j.RunAt}
		}
		if j.Trace != "" {
			if p.InsertOpts == nil {
				p.InsertOpts = &river.InsertOpts{}
			}
			p.InsertOpts.Metadata, _ = json.Marshal(map[string]string{metaTraceparent: j.Trace})
		}
		params = append(params, p)
	}
	return params, nil
}

// argsOf returns the River arguments of j, or EINVALID.
func argsOf(j recoup.Job) (river.JobArgs, error) {
	switch j.Kind {
	case recoup.JobProcessEvent:
		if j.EventID == "" {
			return nil, recoup.Errorf(recoup.EINVALID, "jobs: %s job without an event ID", j.Kind)
		}
		return processEventArgs{EventID: j.EventID}, nil
	case recoup.JobAct:
		if j.CaseID <= 0 || j.Seq <= 0 {
			return nil, recoup.Errorf(recoup.EINVALID, "jobs: %s job for case %d, seq %d: both must be positive", j.Kind, j.CaseID, j.Seq)
		}
		return actArgs{CaseID: j.CaseID, Seq: j.Seq}, nil
	case recoup.JobMessage:
		if j.CaseID <= 0 || j.Seq < 0 {
			return nil, recoup.Errorf(recoup.EINVALID, "jobs: %s job for case %d, step %d: the case must be positive, the step not negative", j.Kind, j.CaseID, j.Seq)
		}
		return messageArgs{CaseID: j.CaseID, Seq: j.Seq}, nil
	case recoup.JobLifecycle:
		if j.CaseID <= 0 || j.Event == "" {
			return nil, recoup.Errorf(recoup.EINVALID, "jobs: %s job for case %d, event %q: needs a case and an event", j.Kind, j.CaseID, j.Event)
		}
		return lifecycleArgs{CaseID: j.CaseID, Event: j.Event}, nil
	case recoup.JobInvoiceReminder:
		if j.InvoiceID == "" {
			return nil, recoup.Errorf(recoup.EINVALID, "jobs: %s job without an invoice", j.Kind)
		}
		return invoiceReminderArgs{InvoiceID: j.InvoiceID, Seq: j.Seq}, nil
	case recoup.JobCardSwitch:
		if j.CaseID <= 0 {
			return nil, recoup.Errorf(recoup.EINVALID, "jobs: %s job for case %d: the case must be positive", j.Kind, j.CaseID)
		}
		return cardSwitchArgs{CaseID: j.CaseID}, nil
	case recoup.JobCardExpiring:
		if j.CustomerID == "" {
			return nil, recoup.Errorf(recoup.EINVALID, "jobs: %s job without a customer", j.Kind)
		}
		return cardExpiringArgs{CustomerID: j.CustomerID}, nil
	case recoup.JobTakeover:
		if j.CaseID <= 0 {
			return nil, recoup.Errorf(recoup.EINVALID, "jobs: %s job for case %d: the case must be positive", j.Kind, j.CaseID)
		}
		return takeoverArgs{CaseID: j.CaseID}, nil
	}
	return nil, recoup.Errorf(recoup.EINVALID, "jobs: unknown job kind %q", j.Kind)
}

// jobOf reads a River job row back into a recoup.Job (RunAt left zero). The reconciliation
// comes back with Kind KindReconcile.
func jobOf(row *rivertype.JobRow) (recoup.Job, error) {
	j := recoup.Job{Kind: recoup.JobKind(row.Kind)}
	if row.Kind == KindReconcile {
		return j, nil
	}
	if err := json.Unmarshal(row.EncodedArgs, &j); err != nil {
		return j, fmt.Errorf("jobs: decode arguments of %s job %d: %w", row.Kind, row.ID, err)
	}
	j.Kind = recoup.JobKind(row.Kind)
	return j, nil
}
