package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// Taking an invoice over from Stripe. In act mode, for every case recoup manages (not a case
// of an experiment's control arm, which Stripe keeps), recoup turns Stripe's automatic
// collection of the invoice off (auto_advance false: no more retries, reminders or automations
// from Stripe for that invoice; docs/stripe-takeover.md) before any action of its own. A job
// queued in the transaction that opens the case does it; Act and Message do it first,
// synchronously, for a case that is not taken over yet (its job has not run, or the policy
// moved from observe to act). A gateway without recoup.TakeoverGateway takes nothing over: the
// account's own settings (Smart Retries and failed-payment emails off, README) must keep
// Stripe out, as before.

// takeoverSummary is the timeline's words for a takeover.
const takeoverSummary = "Took this invoice over from Stripe: its automatic collection is off, so Stripe makes no more retries or reminders for it"

// noTakeoverSummary is the timeline's words, once per case, when the gateway cannot take over.
const noTakeoverSummary = "Stripe's automatic collection of this invoice stays on: the Stripe connection cannot turn it off per invoice, so recoup relies on the account's settings (Smart Retries and failed-payment emails off) to keep Stripe from retrying too"

// view is the policy as the case sees it: the policy in force, with its segment's rules and
// its arm's overrides. A control arm's view observes.
func (e *Engine) view(c *recoup.Case) *policy.Policy {
	return e.Policy().ForCase(c.Segment, c.Arm)
}

// manages reports whether recoup acts on the case's invoice under the policy p (the case's
// view): in act mode, and not for a control arm left to Stripe.
func manages(p *policy.Policy) bool { return !p.Observing() }

// needsTakeover reports whether the case's invoice is still to be taken out of Stripe's
// automatic collection: recoup manages it, has not taken it over, and the case is unresolved
// and not being replaced by a payment plan (whose settlement ends the invoice).
func needsTakeover(c *recoup.Case, p *policy.Policy) bool {
	return manages(p) && c.TakenOverAt.IsZero() && !c.State.Terminal() && c.State != recoup.StatePlanning
}

// planTakeover, in the transaction that opens a case, queues the takeover of its invoice when
// recoup manages it; with a gateway that cannot take over, it says so on the timeline instead.
func (e *Engine) planTakeover(tx recoup.Tx, c *recoup.Case, now time.Time) error {
	if !needsTakeover(c, e.view(c)) {
		return nil
	}
	if _, ok := e.gw.(recoup.TakeoverGateway); !ok {
		return note(tx, c, now, recoup.EntryEvent, noTakeoverSummary, map[string]any{"takeover": false})
	}
	return tx.Enqueue(recoup.Job{Kind: recoup.JobTakeover, CaseID: c.ID})
}

// TakeOver turns Stripe's automatic collection of the case's invoice off, if recoup manages
// the case and has not done so, and records it on the case. It is safe to run any number of
// times: the call carries the case's idempotency key (Case.TakeoverKey), and a case already
// taken over is left alone. An invoice paid or voided meanwhile (ECONFLICT) is read again and
// observed.
func (e *Engine) TakeOver(ctx context.Context, now time.Time, caseID int64) error {
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return fmt.Errorf("take over case %d: %w", caseID, err)
	}
	_, err = e.takeOver(ctx, now, c)
	return err
}

// takeOver takes the case's invoice over if it needs it. It reports whether recoup may act on
// the invoice now: false when the invoice was found paid, void or uncollectible (and observed).
// A gateway that cannot take over changes nothing, and recoup acts as before.
func (e *Engine) takeOver(ctx context.Context, now time.Time, c recoup.Case) (bool, error) {
	tg, ok := e.gw.(recoup.TakeoverGateway)
	if !ok || !needsTakeover(&c, e.view(&c)) {
		return true, nil
	}
	key := c.TakeoverKey()
	err := tg.SetAutoAdvance(ctx, c.InvoiceID, false, key)
	if recoup.ErrorCode(err) == recoup.ECONFLICT {
		// Stripe changes auto_advance only on a draft or open invoice: this one ended meanwhile.
		inv, rerr := e.gw.Invoice(ctx, c.InvoiceID)
		if rerr != nil {
			return false, fmt.Errorf("take over invoice %s: %w (and the invoice could not be read: %v)", c.InvoiceID, err, rerr)
		}
		if _, err := e.Observe(ctx, now, Observation{Invoice: inv, Source: Source{EventType: "invoice check after Stripe refused the takeover"}}); err != nil {
			return false, err
		}
		return inv.Status == recoup.InvoiceOpen, nil
	}
	if err != nil {
		return false, fmt.Errorf("take over invoice %s of case %d: %w", c.InvoiceID, c.ID, err)
	}
	id := c.ID // not c itself: a closure's capture would move the whole case to the heap
	err = e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(id)
		if err != nil {
			return err
		}
		if !cur.TakenOverAt.IsZero() {
			return nil // another run recorded it
		}
		cur.TakenOverAt = now
		if err := note(tx, &cur, now, recoup.EntryAction, takeoverSummary,
			map[string]any{"auto_advance": false, "idempotency_key": key}); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return false, fmt.Errorf("record the takeover of case %d: %w", c.ID, err)
	}
	return true, nil
}

// yieldSummary is the timeline's words when Stripe's automatic collection of an invoice recoup
// took over was found on again.
const yieldSummary = "Stripe's automatic collection of this invoice was turned on again outside recoup (in Stripe's dashboard or by another integration): recoup paused its retries and messages and leaves the invoice to Stripe, so that the two do not both retry it. Resume the case to take it over again"

// yieldToStripe pauses a case whose invoice recoup took over when the invoice read before an
// action (inv) shows Stripe's automatic collection on again: someone turned it on outside
// recoup, and Stripe now retries and reminds by itself. recoup does not turn it off behind
// their back, and does not retry alongside Stripe (two parties retrying one card break the
// networks' retry counts): it pauses, records why, and forgets the takeover, so that an
// operator's resume takes the invoice over again under a new key. It reports whether the action
// may go on.
func (e *Engine) yieldToStripe(ctx context.Context, now time.Time, c recoup.Case, inv recoup.Invoice) (bool, error) {
	if _, ok := e.gw.(recoup.TakeoverGateway); !ok || !inv.AutoAdvance || c.TakenOverAt.IsZero() || inv.Status != recoup.InvoiceOpen {
		return true, nil
	}
	_, err := e.pauseForStripe(ctx, now, c)
	return false, err
}

// pauseForStripe pauses the case for yieldToStripe and reports whether it did: not when
// another run did already, the case moved on (resolved, or a charge in flight), or recoup is
// giving the invoice back.
func (e *Engine) pauseForStripe(ctx context.Context, now time.Time, c recoup.Case) (bool, error) {
	paused := false
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		if cur.TakenOverAt.IsZero() || cur.TakeoverRound != c.TakeoverRound || !cur.State.Active() || cur.State == recoup.StateRetrying || !manages(e.view(&cur)) {
			return nil // another run recorded it, the case moved on, or recoup is giving it back
		}
		cur.TakenOverAt = time.Time{}
		cur.TakeoverRound++
		var dropped any
		if cur.NextAction != nil {
			dropped = *cur.NextAction
		}
		cur.NextAction = nil // PlanSeq stays: the dropped plan's job is now stale
		if err := note(tx, &cur, now, recoup.EntryAction, yieldSummary,
			map[string]any{"auto_advance": true, "dropped_action": dropped}); err != nil {
			return err
		}
		if err := transition(tx, &cur, recoup.StatePaused, now, "Stripe collects this invoice again"); err != nil {
			return err
		}
		paused = true
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return false, fmt.Errorf("pause case %d for Stripe's collection: %w", c.ID, err)
	}
	return paused, nil
}

// collectionChanged follows an invoice.updated whose auto_advance changed: when Stripe's
// collection of an invoice recoup took over is on again, the case pauses at once
// (yieldToStripe) rather than at its next action. It returns an empty status when there is
// nothing to do, so that the event's other changes are followed.
func (e *Engine) collectionChanged(ctx context.Context, now time.Time, invoiceID string) (recoup.EventStatus, string, error) {
	c, err := e.caseOfInvoice(ctx, invoiceID)
	switch {
	case recoup.IsNotFound(err):
		return "", "", nil
	case err != nil:
		return "", "", fmt.Errorf("case of invoice %s: %w", invoiceID, err)
	case c.TakenOverAt.IsZero() || !c.State.Active():
		return "", "", nil
	}
	inv, err := e.gw.Invoice(ctx, invoiceID)
	if err != nil {
		return "", "", fmt.Errorf("read invoice %s: %w", invoiceID, err)
	}
	if !inv.AutoAdvance || inv.Status != recoup.InvoiceOpen {
		return "", "", nil
	}
	paused, err := e.pauseForStripe(ctx, now, c)
	if err != nil || !paused {
		return "", "", err
	}
	return recoup.EventProcessed, "Stripe's automatic collection is on again: the case is paused", nil
}

// caseOfInvoice reads the invoice's case (ENOTFOUND if it has none) in a transaction of its own.
func (e *Engine) caseOfInvoice(ctx context.Context, invoiceID string) (recoup.Case, error) {
	var c recoup.Case
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		var err error
		c, err = tx.CaseByInvoice(invoiceID)
		return err
	})
	return c, err
}

// Giving an invoice back. A case recoup took over that it no longer manages (the policy in
// force moved to observe mode, or an experiment's control arm was promoted) would otherwise be
// left with nobody collecting it: recoup only observes, and Stripe's automatic collection is
// off. So recoup turns it on again (auto_advance true) for every such case still open to
// recovery, once per policy version: the periodic reconciliation sweeps the open cases when
// the policy in force is not the one it last swept for. A case recoup gave back and manages
// again (the policy moved back to act) is taken over again, under a new idempotency key
// (Case.TakeoverRound). Exhausted cases stay as recoup's final action left them.

// giveBackSummary is the timeline's words for a give-back.
const giveBackSummary = "Gave this invoice back to Stripe: recoup no longer manages it under the policy in force, so Stripe's automatic collection (its retries and reminders) is on again"

// giveBackCursor names the stored policy version whose give-back sweep is complete.
const giveBackCursor = "takeover.given_back_for_policy"

// needsGiveBack reports whether the case's invoice is to be handed back to Stripe: recoup took
// it over, no longer manages it under p (the case's view), and the case is still open to
// recovery (not resolved, exhausted or being replaced by a payment plan).
func needsGiveBack(c *recoup.Case, p *policy.Policy) bool {
	return !manages(p) && !c.TakenOverAt.IsZero() && !c.State.Terminal() &&
		c.State != recoup.StateExhausted && c.State != recoup.StatePlanning
}

// giveBack hands the case's invoice back to Stripe if it needs it, and records it on the case.
// Safe to repeat: the call carries the round's key, and a round already recorded is left alone.
// An invoice that ended meanwhile (ECONFLICT) is read again and observed.
func (e *Engine) giveBack(ctx context.Context, now time.Time, c recoup.Case) error {
	tg, ok := e.gw.(recoup.TakeoverGateway)
	if !ok || !needsGiveBack(&c, e.view(&c)) {
		return nil
	}
	key := c.GiveBackKey()
	err := tg.SetAutoAdvance(ctx, c.InvoiceID, true, key)
	if recoup.ErrorCode(err) == recoup.ECONFLICT {
		inv, rerr := e.gw.Invoice(ctx, c.InvoiceID)
		if rerr != nil {
			return fmt.Errorf("give invoice %s back to Stripe: %w (and the invoice could not be read: %v)", c.InvoiceID, err, rerr)
		}
		_, err := e.Observe(ctx, now, Observation{Invoice: inv, Source: Source{EventType: "invoice check after Stripe refused the give-back"}})
		return err
	}
	if err != nil {
		return fmt.Errorf("give invoice %s of case %d back to Stripe: %w", c.InvoiceID, c.ID, err)
	}
	err = e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		if cur.TakenOverAt.IsZero() || cur.TakeoverRound != c.TakeoverRound {
			return nil // another run recorded it
		}
		cur.TakenOverAt = time.Time{}
		cur.TakeoverRound++
		if err := note(tx, &cur, now, recoup.EntryAction, giveBackSummary,
			map[string]any{"auto_advance": true, "idempotency_key": key, "policy_version": e.view(&cur).Version}); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return fmt.Errorf("record the give-back of case %d: %w", c.ID, err)
	}
	return nil
}

// giveBackStates are the states of the cases a give-back sweep reads: those still open to
// recovery. A case retrying (a charge of recoup's in flight) is left for the next sweep.
var giveBackStates = []recoup.CaseState{recoup.StateOpen, recoup.StateScheduled, recoup.StateRetrying,
	recoup.StateAwaitingCustomer, recoup.StatePaused}

// giveBackSweep gives back every open case's invoice that recoup took over and no longer
// manages, once per policy version in force: it records the version when every such case is
// done, and a later run tries again otherwise.
func (e *Engine) giveBackSweep(ctx context.Context, now time.Time) error {
	if _, ok := e.gw.(recoup.TakeoverGateway); !ok {
		return nil
	}
	version := e.Policy().Version
	done := false
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		v, err := tx.Cursor(giveBackCursor)
		done = v == version
		return err
	})
	if err != nil || done {
		return err
	}
	var errs []error
	pending := 0
	for _, state := range giveBackStates {
		f := recoup.CaseFilter{State: state, Limit: recoup.MaxCaseLimit}
		for {
			page, err := e.store.Cases(ctx, f)
			if err != nil {
				return fmt.Errorf("give back: list %s cases: %w", state, err)
			}
			for _, c := range page.Cases {
				if !needsGiveBack(&c, e.view(&c)) {
					continue
				}
				if c.State == recoup.StateRetrying {
					pending++
					continue
				}
				if err := e.giveBack(ctx, now, c); err != nil {
					errs = append(errs, err)
				}
			}
			if page.Next == 0 {
				break
			}
			f.Before = page.Next
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("give back invoices recoup no longer manages: %w", errors.Join(errs...))
	}
	if pending > 0 {
		e.log.Info("give back: cases with a charge in flight wait for the next reconciliation", "count", pending)
		return nil
	}
	return e.store.Tx(ctx, func(tx recoup.Tx) error { return tx.SetCursor(giveBackCursor, version) })
}
