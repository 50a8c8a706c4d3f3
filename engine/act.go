package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// resendWithin is how long after a charge was recorded a re-run still sends it with the same
// idempotency key. Stripe keeps keys at least 24 hours; past this, the invoice's status alone
// tells whether the charge went through.
const resendWithin = 23 * time.Hour

// errStale marks a job whose plan was replaced: it does nothing.
var errStale = errors.New("stale plan")

// Act runs the case's planned action if the job's seq is still the current plan. It is safe to
// run any number of times: a stale or repeated job does nothing, and an interrupted charge is
// resumed with the same idempotency key.
func (e *Engine) Act(ctx context.Context, now time.Time, caseID int64, seq int) error {
	c, err := e.store.Case(ctx, caseID)
	if err != nil {
		return fmt.Errorf("act on case %d: %w", caseID, err)
	}
	switch {
	case c.State == recoup.StateRetrying && c.PlanSeq == seq:
		err = e.resumeCharge(ctx, now, c)
	case c.NextAction == nil || c.NextAction.Seq != seq:
		return nil // replaced by a newer plan, or the case is resolved
	case c.NextAction.Kind == recoup.ActionRetry && e.view(&c).Observing():
		err = e.shadowCharge(ctx, now, c, seq)
	case c.NextAction.Kind == recoup.ActionRetry:
		err = e.charge(ctx, now, c, seq)
	case c.NextAction.Kind == recoup.ActionFinal:
		err = e.final(ctx, now, c, seq)
	case c.NextAction.Kind == recoup.ActionBackup:
		err = e.backup(ctx, now, c, seq)
	case c.NextAction.Kind == recoup.ActionSettle:
		err = e.settle(ctx, now, c, seq)
	default:
		err = recoup.Errorf(recoup.EINVALID, "unknown action %q", c.NextAction.Kind)
	}
	if errors.Is(err, errStale) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("act on case %d (plan %d): %w", caseID, seq, err)
	}
	return nil
}

// checkOpen re-reads the invoice before acting on it. If it is no longer open, it observes it
// (recovered or closed) and reports false.
func (e *Engine) checkOpen(ctx context.Context, now time.Time, c recoup.Case) (recoup.Invoice, bool, error) {
	inv, err := e.gw.Invoice(ctx, c.InvoiceID)
	if err != nil {
		return inv, false, fmt.Errorf("read invoice %s: %w", c.InvoiceID, err)
	}
	if inv.Status == recoup.InvoiceOpen {
		return inv, true, nil
	}
	_, err = e.Observe(ctx, now, Observation{Invoice: inv, Source: Source{EventType: "invoice check before acting"}})
	return inv, false, err
}

// charge records attempt n before calling Stripe, then calls it and records the outcome.
func (e *Engine) charge(ctx context.Context, now time.Time, c recoup.Case, seq int) error {
	inv, open, err := e.checkOpen(ctx, now, c)
	if err != nil || !open {
		return err
	}
	if _, ok := e.gw.(recoup.PlanGateway); ok && settleable(inv, e.view(&c)) {
		return e.settle(ctx, now, c, seq) // paid in part meanwhile, a small rest left
	}
	// Stripe's own retries stop before recoup's first charge (a case opened in observe mode
	// whose policy now acts, or whose takeover job has not run yet).
	if ok, err := e.takeOver(ctx, now, c); err != nil || !ok {
		return err
	}
	if ok, err := e.yieldToStripe(ctx, now, c, inv); err != nil || !ok {
		return err
	}
	return e.startCharge(ctx, now, c, seq, func(cur *recoup.Case, n int) chargeStart {
		pm, card := cur.NextCard()
		summary := fmt.Sprintf("charge %d of %s sent to Stripe", n, cur.Amount)
		switch {
		case pm != "" && card == recoup.CardRefreshed:
			summary += " on card " + pm + " as the card updater refreshed it"
		case pm != "":
			summary += " on the customer's new card " + pm
		}
		return chargeStart{pm: pm, card: card, starting: fmt.Sprintf("charge %d starting", n), summary: summary}
	})
}

// chargeStart is what a charge records before it calls Stripe: the payment method and how the
// case came to it, the words of the move to retrying and of the timeline entry, and the entry's
// details besides the attempt's number and idempotency key.
type chargeStart struct {
	pm                string
	card              recoup.CardSource
	starting, summary string
	detail            map[string]any
}

// startCharge records the case's next attempt as pending and moves the case to retrying, in
// one transaction that holds the plan seq current, then charges (pay). Recording before calling
// Stripe is what keeps a crash from charging twice: the attempt's idempotency key is stored
// first (resumeCharge). start says what to charge, from the case as locked.
func (e *Engine) startCharge(ctx context.Context, now time.Time, c recoup.Case, seq int, start func(cur *recoup.Case, n int) chargeStart) error {
	var a recoup.Attempt
	id := c.ID // not c itself: a closure's capture would move the whole case to the heap
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := planned(tx, id, seq, recoup.StateScheduled)
		if err != nil {
			return err
		}
		n := cur.Attempts + 1
		st := start(&cur, n)
		a = recoup.Attempt{CaseID: cur.ID, N: n, Source: recoup.SourceRecoup, IdempotencyKey: cur.IdempotencyKey(n),
			PaymentMethodID: st.pm, Card: st.card, Status: recoup.AttemptPending, StartedAt: now}
		if err := tx.InsertAttempt(&a); err != nil {
			return fmt.Errorf("record attempt %d: %w", n, err)
		}
		cur.Attempts, cur.LastAttemptAt, cur.NextAction = n, now, nil
		if err := transition(tx, &cur, recoup.StateRetrying, now, st.starting); err != nil {
			return err
		}
		detail := map[string]any{"n": n, "idempotency_key": a.IdempotencyKey}
		for k, v := range st.detail {
			detail[k] = v
		}
		if err := note(tx, &cur, now, recoup.EntryAttempt, st.summary, detail); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
	if err != nil {
		return err
	}
	return e.pay(ctx, now, c, a)
}

// resumeCharge finishes a charge whose outcome was never recorded (the process died, or the
// call failed without an answer). The invoice says whether it went through; if it is still
// open, the same idempotency key is sent again, so Stripe charges at most once.
func (e *Engine) resumeCharge(ctx context.Context, now time.Time, c recoup.Case) error {
	attempts, err := e.store.Attempts(ctx, c.ID)
	if err != nil {
		return err
	}
	var a *recoup.Attempt
	for i := range attempts {
		if attempts[i].Source == recoup.SourceRecoup && attempts[i].Status == recoup.AttemptPending {
			a = &attempts[i]
		}
	}
	if a == nil {
		return recoup.Errorf(recoup.EINTERNAL, "case %d is retrying with no pending attempt", c.ID)
	}
	if _, open, err := e.checkOpen(ctx, now, c); err != nil || !open {
		return err
	}
	if a.Card == recoup.CardRemainderSettled {
		return e.settleCall(ctx, now, c, *a) // the same key: Stripe replays its answer
	}
	if now.Sub(a.StartedAt) > resendWithin {
		return e.finish(ctx, now, c.ID, *a, recoup.PayResult{}, recoup.Errorf(recoup.EUNAVAILABLE,
			"outcome of charge %d unknown after %s and the invoice is still open: it did not pay", a.N, resendWithin))
	}
	return e.pay(ctx, now, c, *a)
}

// pay calls Stripe for a recorded attempt and records the outcome. When the call fails without
// an answer, the invoice decides: paid means the charge went through; open means it did not,
// and the attempt is recorded as an error. If even the invoice cannot be read, the error is
// returned and the job's retry resumes the charge with the same key.
func (e *Engine) pay(ctx context.Context, now time.Time, c recoup.Case, a recoup.Attempt) error {
	res, payErr := e.gw.Pay(ctx, recoup.PayRequest{InvoiceID: c.InvoiceID, IdempotencyKey: a.IdempotencyKey, PaymentMethodID: a.PaymentMethodID})
	if payErr != nil {
		inv, err := e.gw.Invoice(ctx, c.InvoiceID)
		if err != nil {
			return fmt.Errorf("charge %d: %w (and the invoice could not be read: %v)", a.N, payErr, err)
		}
		if inv.Status == recoup.InvoicePaid {
			res, payErr = recoup.PayResult{Paid: true, Invoice: inv}, nil
		} else {
			res.Invoice = inv
		}
	}
	return e.finish(ctx, now, c.ID, a, res, payErr)
}

// finish records a charge's outcome and moves the case on.
func (e *Engine) finish(ctx context.Context, now time.Time, caseID int64, a recoup.Attempt, res recoup.PayResult, payErr error) error {
	return e.store.Tx(ctx, func(stx recoup.Tx) error {
		// The attempts and messages are read here, by the plan, the timing model and learn.
		var tx recoup.Tx = memo(stx)
		c, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		a.FinishedAt = now
		switch {
		case res.Paid:
			earlier, err := tx.Attempts(c.ID)
			if err != nil {
				return err
			}
			a.Status, a.Card = recoup.AttemptSucceeded, chargedCard(c, a, res.Invoice, earlier)
		case payErr != nil:
			a.Status = recoup.AttemptError
			a.Decline = &recoup.Decline{Code: "api_error", Message: payErr.Error(), Category: recoup.CategoryTechnical}
		default:
			a.Status = recoup.AttemptDeclined
			a.Decline = res.Decline
			if a.Decline == nil {
				a.Decline = &recoup.Decline{Message: "declined without details"}
			}
			a.Decline.Category = decline.Classify(a.Decline).Category
		}
		if c.State != recoup.StateRetrying {
			// An observation resolved the case meanwhile (paid, voided); record the outcome only
			// if it has not recorded it already.
			return e.finishDetached(tx, a)
		}
		if err := tx.UpdateAttempt(&a); err != nil {
			return fmt.Errorf("record outcome of charge %d: %w", a.N, err)
		}
		before, err := tx.Attempts(c.ID)
		if err != nil {
			return err
		}
		was := c
		e.metrics.AttemptFinished(string(a.Status))
		if res.Invoice.AttemptCount > c.StripeAttempts {
			c.StripeAttempts = res.Invoice.AttemptCount
		}
		switch a.Status {
		case recoup.AttemptSucceeded:
			if err := note(tx, &c, now, recoup.EntryAttempt, fmt.Sprintf("charge %d succeeded", a.N), a); err != nil {
				return err
			}
			c.RecoveredBy = a.Card.RecoveredBy()
			c.Amount = recoup.Money{Amount: max(res.Invoice.AmountPaid, c.Amount.Amount), Currency: c.Amount.Currency}
			why := fmt.Sprintf("invoice paid by recoup's charge %d on %s", a.N, chargedOn(a.Card))
			if a.Card == recoup.CardRemainderSettled {
				why = "invoice marked paid: the unpaid rest was under the policy's settle_remainder_below"
			}
			if err := transition(tx, &c, recoup.StateRecovered, now, why); err != nil {
				return err
			}
			if err := e.emit(tx, &c, recoup.CaseRecovered); err != nil {
				return err
			}
			if err := e.planCardSwitch(tx, &c, a); err != nil {
				return err
			}
		case recoup.AttemptDeclined:
			if a.Card == recoup.CardBackup {
				// The card that failed stays the case's: its decline still decides the plan,
				// which tries the next backup method, if any, or goes on as it would have.
				if err := note(tx, &c, now, recoup.EntryAttempt, fmt.Sprintf("charge %d on a backup payment method declined: %s (%s)", a.N, a.Decline.Reason(), a.Decline.Category), a); err != nil {
					return err
				}
				if err := e.plan(tx, &c, now); err != nil {
					return err
				}
				break
			}
			c.LastDecline = a.Decline
			if a.PaymentMethodID != "" {
				c.PaymentMethodID, c.CardSource = a.PaymentMethodID, a.Card
			} else if p := res.Invoice.LastPayment; p != nil && p.PaymentMethodID != "" {
				c.PaymentMethodID = p.PaymentMethodID
			}
			c.NewPaymentMethodID, c.NewCardSource = "", ""
			if err := note(tx, &c, now, recoup.EntryAttempt, fmt.Sprintf("charge %d declined: %s (%s)", a.N, a.Decline.Reason(), a.Decline.Category), a); err != nil {
				return err
			}
			if err := e.plan(tx, &c, now); err != nil {
				return err
			}
		case recoup.AttemptError:
			if err := note(tx, &c, now, recoup.EntryAttempt, fmt.Sprintf("charge %d failed without a verdict: %v", a.N, payErr), a); err != nil {
				return err
			}
			if err := e.plan(tx, &c, now); err != nil {
				return err
			}
		}
		if err := e.learn(tx, was, before, a, e.view(&was)); err != nil {
			return err
		}
		return tx.UpdateCase(&c)
	})
}

// chargedCard is the source of the card a successful charge of recoup's ran on: the one recorded
// when the charge was made, unless the charge named no card and Stripe reports having charged
// another than the card that failed last. That card's source is then the one recoup recorded
// when it last charged it, or the card the invoice first failed on; a card the invoice never
// saw is a default the customer changed before recoup heard of it.
func chargedCard(c recoup.Case, a recoup.Attempt, inv recoup.Invoice, earlier []recoup.Attempt) recoup.CardSource {
	src := a.Card
	if src == recoup.CardBackup || src == recoup.CardRemainderSettled {
		return src
	}
	if src == "" {
		// Recorded before attempts had a card source (migration 00011): the case, still
		// retrying, names the card the charge was made on.
		_, src = c.NextCard()
	}
	p := inv.LastPayment
	if a.PaymentMethodID != "" || p == nil || p.PaymentMethodID == "" || c.PaymentMethodID == "" || p.PaymentMethodID == c.PaymentMethodID {
		return src
	}
	src = recoup.CardCustomer
	for i, e := range earlier {
		switch {
		case e.PaymentMethodID != p.PaymentMethodID:
		case e.Source == recoup.SourceRecoup && e.Card != "":
			src = e.Card
		case i == 0:
			src = recoup.CardSame
		}
	}
	return src
}

// chargedOn names the card a charge ran on, for the timeline: one recorded without a source
// ran on the card that failed.
func chargedOn(src recoup.CardSource) string {
	if w := src.Words(); w != "" {
		return w
	}
	return recoup.CardSame.Words()
}

func (e *Engine) finishDetached(tx recoup.Tx, a recoup.Attempt) error {
	attempts, err := tx.Attempts(a.CaseID)
	if err != nil {
		return err
	}
	for _, cur := range attempts {
		if cur.ID == a.ID && cur.Status == recoup.AttemptPending {
			e.metrics.AttemptFinished(string(a.Status))
			return tx.UpdateAttempt(&a)
		}
	}
	return nil
}

// final runs the policy's final action, idempotently, and marks the case exhausted.
func (e *Engine) final(ctx context.Context, now time.Time, c recoup.Case, seq int) error {
	inv, open, err := e.checkOpen(ctx, now, c)
	if err != nil || !open {
		return err
	}
	if _, ok := e.gw.(recoup.PlanGateway); ok && settleable(inv, e.view(&c)) && c.State != recoup.StateExhausted {
		return e.settle(ctx, now, c, seq) // paid in part meanwhile, a small rest left
	}
	p := e.view(&c)
	action := p.FinalAction
	if hold := c.FirstFailedAt.Add(p.FinalAfter); p.FinalAfter > 0 && now.Before(hold) {
		return e.holdFinal(ctx, now, c, seq, hold, p)
	}
	if p.Observing() {
		return e.shadowFinal(ctx, now, c, seq, action)
	}
	if p.ManualReview {
		if wait, err := e.holdForReview(ctx, now, c, seq, action); err != nil || wait {
			return err
		}
	}
	if ok, err := e.takeOver(ctx, now, c); err != nil || !ok {
		return err
	}
	if err := e.runFinal(ctx, c, action); err != nil {
		return fmt.Errorf("final action %s: %w", action, err)
	}
	return e.store.Tx(ctx, func(tx recoup.Tx) error {
		cur, err := planned(tx, c.ID, seq, "")
		if err != nil {
			return err
		}
		cur.FinalAction = action
		if err := note(tx, &cur, now, recoup.EntryAction, "final action: "+finalSummary(c, action),
			map[string]string{"final_action": string(action), "policy_version": p.Version, "segment": p.Segment}); err != nil {
			return err
		}
		if err := transition(tx, &cur, recoup.StateExhausted, now, "recovery gave up: "+cur.NextAction.Reason); err != nil {
			return err
		}
		if err := e.emit(tx, &cur, recoup.CaseFinalAction); err != nil {
			return err
		}
		return tx.UpdateCase(&cur)
	})
}

// planned reads the case, locked, if its plan is still the one numbered seq (and, when state is
// given, the case is in it); errStale otherwise: a newer plan or a change of state replaced
// the action a job was queued for.
func planned(tx recoup.Tx, caseID int64, seq int, state recoup.CaseState) (recoup.Case, error) {
	c, err := tx.Case(caseID)
	if err != nil {
		return c, err
	}
	if c.NextAction == nil || c.NextAction.Seq != seq || (state != "" && c.State != state) {
		return c, errStale
	}
	return c, nil
}
