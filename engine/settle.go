package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// Settling a small unpaid rest (policy settle_remainder_below). A customer may pay part of an
// invoice (Stripe's partial payments); when what is left is under the policy's threshold, the
// invoice is marked paid outside Stripe's charge (paid_out_of_band, PlanGateway.SettleOutOfBand)
// and the rest written off, rather than charging again for a few cents. The settlement goes
// through the charge machinery: an attempt (card source "remainder_settled", no payment
// method, its own idempotency key) is recorded before the call, so a crash resumes it with the
// same key and Stripe replays its answer; the case is then credited ByRemainderSettled, which
// the overview and the dashboard's "recovered by" count apart.

// settleKey is the idempotency key of the case's settlement.
func settleKey(c *recoup.Case) string {
	return fmt.Sprintf("recoup-case-%d-%s-settle-remainder", c.ID, c.InvoiceID)
}

// settleable reports whether the policy settles the invoice's unpaid rest now: it is open,
// partly paid, and owes less than settle_remainder_below.
func settleable(inv recoup.Invoice, p *policy.Policy) bool {
	return p.SettleRemainderBelow > 0 && !p.Observing() && inv.Status == recoup.InvoiceOpen &&
		inv.AmountPaid > 0 && inv.AmountRemaining > 0 && inv.AmountRemaining < p.SettleRemainderBelow
}

// planSettle plans the settlement now, in the caller's transaction, when an observation shows
// a settleable invoice on an active case (not while a charge is in flight).
func (e *Engine) planSettle(tx recoup.Tx, c *recoup.Case, now time.Time, inv recoup.Invoice) (bool, error) {
	if _, ok := e.gw.(recoup.PlanGateway); !ok || !c.State.Active() || c.State == recoup.StateRetrying ||
		!settleable(inv, e.view(c)) || c.NextAction != nil && c.NextAction.Kind == recoup.ActionSettle {
		return false, nil
	}
	p := e.view(c)
	reason := fmt.Sprintf("the customer paid %s; the unpaid rest, %s, is under the policy's settle_remainder_below (%s): mark the invoice paid",
		recoup.Money{Amount: inv.AmountPaid, Currency: inv.Currency}, inv.Remaining(), recoup.Money{Amount: p.SettleRemainderBelow, Currency: inv.Currency})
	if err := transition(tx, c, recoup.StateScheduled, now, reason); err != nil {
		return false, err
	}
	a := c.Plan(recoup.ActionSettle, now, reason)
	d := recoup.Decision{Kind: recoup.DecideRetry, At: now, Reason: reason, Inputs: map[string]string{
		"settle_remainder_below": fmt.Sprint(p.SettleRemainderBelow), "amount_paid": fmt.Sprint(inv.AmountPaid),
		"amount_remaining": fmt.Sprint(inv.AmountRemaining), "segment": p.Segment, "policy_version": p.Version}}
	if err := note(tx, c, now, recoup.EntryDecision, "settle the rest now: "+reason, d); err != nil {
		return false, err
	}
	return true, tx.Enqueue(recoup.Job{Kind: recoup.JobAct, CaseID: c.ID, Seq: a.Seq, RunAt: a.At})
}

// settle runs a planned settlement: it records the attempt, then asks Stripe. An invoice no
// longer settleable (paid more, or less) is planned again as usual.
func (e *Engine) settle(ctx context.Context, now time.Time, c recoup.Case, seq int) error {
	inv, open, err := e.checkOpen(ctx, now, c)
	if err != nil || !open {
		return err
	}
	if _, ok := e.gw.(recoup.PlanGateway); !ok || !settleable(inv, e.view(&c)) {
		return e.store.Tx(ctx, func(stx recoup.Tx) error {
			tx := memo(stx)
			cur, err := planned(tx, c.ID, seq, "")
			if err != nil {
				return err
			}
			if err := note(tx, &cur, now, recoup.EntryDecision, fmt.Sprintf("the rest is no longer settled: %s left to pay", inv.Remaining()), nil); err != nil {
				return err
			}
			if err := e.plan(tx, &cur, now); err != nil {
				return err
			}
			return tx.UpdateCase(&cur)
		})
	}
	if ok, err := e.takeOver(ctx, now, c); err != nil || !ok {
		return err
	}
	var a recoup.Attempt
	err = e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := planned(tx, c.ID, seq, "")
		if err != nil {
			return err
		}
		if cur.State == recoup.StateAwaitingCustomer { // a final action due: the case acts again
			if err := transition(tx, &cur, recoup.StateScheduled, now, "the invoice was paid in part"); err != nil {
				return err
			}
		}
		n := cur.Attempts + 1
		a = recoup.Attempt{CaseID: cur.ID, N: n, Source: recoup.SourceRecoup, IdempotencyKey: settleKey(&cur),
			Card: recoup.CardRemainderSettled, Status: recoup.AttemptPending, StartedAt: now}
		if err := tx.InsertAttempt(&a); err != nil {
			return fmt.Errorf("record the settlement: %w", err)
		}
		cur.Attempts, cur.NextAction = n, nil
		if err := transition(tx, &cur, recoup.StateRetrying, now, "settling the unpaid rest"); err != nil {
			return err
		}
		summary := fmt.Sprintf("%s paid of %s; marking the invoice paid outside Stripe's charge (the rest, %s, written off)",
			recoup.Money{Amount: inv.AmountPaid, Currency: inv.Currency}, recoup.Money{Amount: inv.AmountDue, Currency: inv.Currency}, inv.Remaining())
		if err := note(tx, &cur, now, recoup.EntryAttempt, summary, map[string]any{"n": n, "idempotency_key": a.IdempotencyKey,
			"mechanism": recoup.ByRemainderSettled, "amount_paid": inv.AmountPaid, "amount_remaining": inv.AmountRemaining}); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return err
	}
	return e.settleCall(ctx, now, c, a)
}

// settleCall asks Stripe to mark the invoice paid for a recorded settlement, and records the
// outcome like a charge's: Stripe's refusal or silence leaves the invoice to decide.
func (e *Engine) settleCall(ctx context.Context, now time.Time, c recoup.Case, a recoup.Attempt) error {
	pg, ok := e.gw.(recoup.PlanGateway)
	if !ok {
		return recoup.Errorf(recoup.EINTERNAL, "case %d: a settlement is recorded but the gateway cannot settle", c.ID)
	}
	callErr := pg.SettleOutOfBand(ctx, c.InvoiceID, a.IdempotencyKey)
	inv, err := e.gw.Invoice(ctx, c.InvoiceID)
	if err != nil {
		if callErr != nil {
			return fmt.Errorf("settle invoice %s: %w (and the invoice could not be read: %v)", c.InvoiceID, callErr, err)
		}
		return fmt.Errorf("read invoice %s after its settlement: %w", c.InvoiceID, err)
	}
	if inv.Status == recoup.InvoicePaid {
		return e.finish(ctx, now, c.ID, a, recoup.PayResult{Paid: true, Invoice: inv}, nil)
	}
	if callErr == nil {
		callErr = recoup.Errorf(recoup.EUNAVAILABLE, "Stripe accepted the settlement but the invoice is %s", inv.Status)
	}
	return e.finish(ctx, now, c.ID, a, recoup.PayResult{Invoice: inv}, callErr)
}

// paidInPart handles an event that may report a partial payment of the invoice (invoice.updated
// with a change to what was paid, invoice_payment.paid): it re-reads the invoice and observes
// it on its open case when the rest is now to be settled, or the invoice is no longer open.
// Such events open no case (the failure events do), and anything else they show is left to
// the events that report it, so the timeline does not fill with invoice updates.
func (e *Engine) paidInPart(ctx context.Context, now time.Time, invoiceID string, obs Observation) (recoup.EventStatus, string, error) {
	if invoiceID == "" {
		return recoup.EventFailed, "event has no invoice id", nil
	}
	c, err := e.caseOfInvoice(ctx, invoiceID)
	switch {
	case recoup.IsNotFound(err):
		return recoup.EventIgnored, "no case for the invoice", nil
	case err != nil:
		return "", "", fmt.Errorf("case of invoice %s: %w", invoiceID, err)
	case c.State.Terminal():
		return recoup.EventIgnored, "case already " + string(c.State), nil
	}
	inv, err := e.gw.Invoice(ctx, invoiceID)
	if err != nil {
		return "", "", fmt.Errorf("read invoice %s: %w", invoiceID, err)
	}
	if inv.Status == recoup.InvoiceOpen && !settleable(inv, e.view(&c)) {
		return recoup.EventIgnored, fmt.Sprintf("%s left to pay: nothing to settle", inv.Remaining()), nil
	}
	if inv.Status == recoup.InvoiceOpen && !c.State.Active() {
		return recoup.EventIgnored, fmt.Sprintf("%s left to pay: not settled while the case is %s", inv.Remaining(), c.State), nil
	}
	obs.Invoice = inv
	return e.observeEvent(ctx, now, obs)
}

// paymentInvoice reads the invoice's id from an invoice_payment event's payload (the
// InvoicePayment's invoice, an id or an expanded object); "" if there is none.
func paymentInvoice(payload []byte) string {
	var ev struct {
		Data struct {
			Object struct {
				Invoice json.RawMessage `json:"invoice"`
			} `json:"object"`
		} `json:"data"`
	}
	if json.Unmarshal(payload, &ev) != nil || len(ev.Data.Object.Invoice) == 0 {
		return ""
	}
	var id string
	if json.Unmarshal(ev.Data.Object.Invoice, &id) == nil {
		return id
	}
	var obj struct{ ID string }
	if json.Unmarshal(ev.Data.Object.Invoice, &obj) == nil {
		return obj.ID
	}
	return ""
}
