package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// emit queues the delivery of a lifecycle event of c in the caller's transaction, so the event
// exists if and only if the change it reports commits, and survives a crash. Without a sink
// configured nothing is queued.
func (e *Engine) emit(tx recoup.Tx, c *recoup.Case, typ string) error {
	if typ == recoup.CaseRecovered {
		if err := e.planConfirmation(tx, c); err != nil {
			return err
		}
	}
	if e.sink == nil {
		return nil
	}
	return tx.Enqueue(recoup.Job{Kind: recoup.JobLifecycle, CaseID: c.ID, Event: typ})
}

// Lifecycle delivers lifecycle event typ of the case to the sink: the case as it stands now,
// with the event's stable ID. It runs from a job, so a temporary failure is retried with
// backoff; a receiver deduplicates by the event ID.
func (e *Engine) Lifecycle(ctx context.Context, now time.Time, caseID int64, typ string) error {
	if typ == alertOpened || typ == alertBeforeFinal {
		return e.teamAlert(ctx, now, caseID, typ)
	}
	if e.sink == nil {
		return nil // the sink was configured when the job was queued, and is no more
	}
	switch typ {
	case recoup.CaseOpened, recoup.CaseRecovered, recoup.CaseFinalAction, recoup.CaseGraceEnded:
	default:
		return recoup.Errorf(recoup.EINVALID, "lifecycle event %q of case %d: unknown type", typ, caseID)
	}
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return fmt.Errorf("lifecycle event %s of case %d: %w", typ, caseID, err)
	}
	ev := recoup.NewCaseEvent(typ, c)
	if typ == recoup.CaseGraceEnded {
		// Queued when the case opened, for the end of the grace period: it matters only if the
		// invoice is still unpaid then.
		if c.State == recoup.StateRecovered || c.State == recoup.StateClosed {
			return nil
		}
		ev.OccurredAt = now
	}
	access, err := e.Access(ctx, now, c.CustomerID)
	if err != nil {
		return fmt.Errorf("lifecycle event %s of case %d: %w", typ, caseID, err)
	}
	ev.Access = &access
	if err := e.sink.Emit(ctx, ev); err != nil {
		return fmt.Errorf("lifecycle event %s of case %d: %w", typ, caseID, err)
	}
	return nil
}
