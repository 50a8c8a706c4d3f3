package engine

import (
	"context"
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
	err = e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := tx.Case(c.ID)
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
