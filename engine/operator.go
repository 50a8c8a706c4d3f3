package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// Operator actions: what a person may do to a case from the dashboard. Each runs in one store
// transaction, says on the case's timeline who asked for it, and refuses (ECONFLICT) when the
// case is not in a state where it makes sense. A refusal changes nothing. Who is the operator's
// login, recorded as the actor; the dashboard also writes the action to the audit log.

// RetryNow plans a charge of the case's invoice at now, replacing the planned action. It is
// still subject to the card-network guard: if the guard would hold or forbid a charge on this
// card now, RetryNow refuses and names the rule.
func (e *Engine) RetryNow(ctx context.Context, now time.Time, caseID int64, who string) error {
	return e.operate(ctx, caseID, "retry now", func(tx recoup.Tx, c *recoup.Case) error {
		if err := mayReplan(c); err != nil {
			return err
		}
		attempts, err := tx.Attempts(c.ID)
		if err != nil {
			return err
		}
		p := e.view(c)
		ledger, brand := cardLedger(*c, attempts)
		at, rule, ok := decline.Guard(ledger, brand, c.Amount.Amount, now, p.Network)
		switch {
		case !ok:
			return recoup.Errorf(recoup.ECONFLICT, "the card-network guard forbids another charge on this card: %s", rule)
		case at.After(now):
			return recoup.Errorf(recoup.ECONFLICT, "the card-network guard holds charges on this card until %s: %s",
				at.In(p.Location).Format("Mon 2 Jan 15:04 MST"), rule)
		}
		reason := "operator " + who + " asked to retry now"
		if err := transition(tx, c, recoup.StateScheduled, now, reason); err != nil {
			return err
		}
		return e.planNow(tx, c, now, recoup.ActionRetry, reason, recoup.Decision{Kind: recoup.DecideRetry, At: now, Reason: reason,
			Inputs: map[string]string{"operator": who, "policy_version": p.Version}})
	})
}

// SkipToFinal plans the policy's final action at now, replacing the planned action.
func (e *Engine) SkipToFinal(ctx context.Context, now time.Time, caseID int64, who string) error {
	return e.operate(ctx, caseID, "skip to the final action", func(tx recoup.Tx, c *recoup.Case) error {
		if err := mayReplan(c); err != nil {
			return err
		}
		p := e.view(c)
		reason := fmt.Sprintf("operator %s skipped to the final action (%s)", who, p.FinalAction)
		if c.State == recoup.StateOpen {
			if err := transition(tx, c, recoup.StateScheduled, now, reason); err != nil {
				return err
			}
		}
		return e.planNow(tx, c, now, recoup.ActionFinal, reason, recoup.Decision{Kind: recoup.DecideFinal, At: now, Reason: reason,
			FinalAction: p.FinalAction, Inputs: map[string]string{"operator": who, "policy_version": p.Version}})
	})
}

// MarkResolved records that the invoice was settled outside Stripe (a bank transfer, a
// cheque): the case is recovered by ByOutOfBand and nothing more is done for it. Stripe is not
// told; the operator should mark the invoice paid there too.
func (e *Engine) MarkResolved(ctx context.Context, now time.Time, caseID int64, who, why string) error {
	return e.operate(ctx, caseID, "mark resolved", func(tx recoup.Tx, c *recoup.Case) error {
		switch {
		case c.State.Terminal():
			return recoup.Errorf(recoup.ECONFLICT, "the case is already %s", c.State)
		case c.State == recoup.StateRetrying:
			return recoup.Errorf(recoup.ECONFLICT, "a charge is in flight; wait for its outcome")
		case c.State == recoup.StatePlanning:
			return recoup.Errorf(recoup.ECONFLICT, errPlanning)
		}
		reason := "operator " + who + " marked the invoice paid outside Stripe"
		if why != "" {
			reason += ": " + why
		}
		c.RecoveredBy = recoup.ByOutOfBand
		if err := note(tx, c, now, recoup.EntryAction, reason, map[string]string{"operator": who, "note": why}); err != nil {
			return err
		}
		return transition(tx, c, recoup.StateRecovered, now, reason)
	})
}

// Pause stops the recovery of the case until Resume: its planned action is dropped (the job
// finds no plan and does nothing), and no charge, message or final action happens meanwhile.
// Observations still apply: a payment recovers a paused case, a voided invoice closes it, and
// new declines and payment methods are recorded for when it resumes. A case with a charge in
// flight cannot be paused.
func (e *Engine) Pause(ctx context.Context, now time.Time, caseID int64, who string) error {
	return e.operate(ctx, caseID, "pause", func(tx recoup.Tx, c *recoup.Case) error {
		if err := mayReplan(c); err != nil {
			return err
		}
		reason := "operator " + who + " paused recovery"
		var dropped any
		if c.NextAction != nil {
			dropped = *c.NextAction
		}
		c.NextAction = nil // PlanSeq stays: the dropped plan's job is now stale
		if err := note(tx, c, now, recoup.EntryAction, reason, map[string]any{"operator": who, "dropped_action": dropped}); err != nil {
			return err
		}
		return transition(tx, c, recoup.StatePaused, now, reason)
	})
}

// Resume restarts the recovery of a paused case: the policy plans its next action afresh from
// everything observed so far, and the campaign continues with its next due message (steps
// that fell due during the pause are not sent one by one: the latest due one is).
func (e *Engine) Resume(ctx context.Context, now time.Time, caseID int64, who string) error {
	return e.operate(ctx, caseID, "resume", func(tx recoup.Tx, c *recoup.Case) error {
		if c.State != recoup.StatePaused {
			return recoup.Errorf(recoup.ECONFLICT, "the case is %s, not paused", c.State)
		}
		reason := "operator " + who + " resumed recovery"
		if err := transition(tx, c, recoup.StateScheduled, now, reason); err != nil {
			return err
		}
		if err := e.plan(tx, c, now); err != nil {
			return err
		}
		msgs, err := tx.Messages(c.ID)
		if err != nil {
			return err
		}
		next := 0
		for _, m := range msgs {
			next = max(next, m.Step+1)
		}
		return e.planMessage(tx, c, now, next)
	})
}

// operate loads the case in a transaction, applies fn and saves it.
func (e *Engine) operate(ctx context.Context, caseID int64, what string, fn func(tx recoup.Tx, c *recoup.Case) error) error {
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		c, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		if err := fn(tx, &c); err != nil {
			return err
		}
		return tx.UpdateCase(&c)
	})
	if err != nil {
		return fmt.Errorf("%s on case %d: %w", what, caseID, err)
	}
	return nil
}

// errPlanning is the refusal of an operator action while a payment plan is being set up.
const errPlanning = "a payment plan is being set up: run it again to finish it (or to give it up, if the invoice was paid)"

// mayReplan refuses to replace the plan of a case that is paused, resolved or has a charge in
// flight.
func mayReplan(c *recoup.Case) error {
	switch {
	case c.State == recoup.StatePaused:
		return recoup.Errorf(recoup.ECONFLICT, "the case is paused: resume it first")
	case c.State == recoup.StatePlanning:
		return recoup.Errorf(recoup.ECONFLICT, errPlanning)
	case !c.State.Active():
		return recoup.Errorf(recoup.ECONFLICT, "the case is %s: there is nothing left to plan", c.State)
	case c.State == recoup.StateRetrying:
		return recoup.Errorf(recoup.ECONFLICT, "a charge is in flight; wait for its outcome")
	}
	return nil
}

// planNow replaces the case's plan with an action due at now, records the decision, and queues
// its job. The job of the replaced plan finds a newer Seq and does nothing.
func (e *Engine) planNow(tx recoup.Tx, c *recoup.Case, now time.Time, kind recoup.ActionKind, reason string, d recoup.Decision) error {
	a := c.Plan(kind, now, reason)
	if err := note(tx, c, now, recoup.EntryDecision, reason, d); err != nil {
		return err
	}
	return tx.Enqueue(recoup.Job{Kind: recoup.JobAct, CaseID: c.ID, Seq: a.Seq, RunAt: now})
}
