package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// Source says where an observation came from, for the timeline.
type Source struct {
	EventID   string // the Stripe event, if any
	EventType string // the event type, or "backfill", "charge", ...
}

// AppendJSON appends s as encoding/json writes it (recoup.JSONAppender): every observation
// notes its source on the case's timeline.
func (s Source) AppendJSON(b []byte) []byte {
	b = append(b, `{"EventID":`...)
	b = recoup.AppendJSONString(b, s.EventID)
	b = append(b, `,"EventType":`...)
	b = recoup.AppendJSONString(b, s.EventType)
	return append(b, '}')
}

func (s Source) String() string {
	if s.EventID != "" {
		return s.EventType + " (" + s.EventID + ")"
	}
	return s.EventType
}

// Observation is a fact about an invoice as Stripe shows it now, and what prompted the look.
type Observation struct {
	Invoice recoup.Invoice
	Source  Source
	// NewPaymentMethodID is a payment method the customer (or a card updater) supplied.
	NewPaymentMethodID string
	// CardRefreshed: the card updater refreshed NewPaymentMethodID in place (same id, new
	// expiry or number), so it is new even if it is the card that failed.
	CardRefreshed bool
	// EventCreated is when Stripe created the prompting event, if any (whole seconds): a
	// payment-method change older than the case's first failure is not news, and a failure
	// whose payment Stripe gives no time is dated by its event.
	EventCreated time.Time
	// ActionRequired: Stripe says the customer must authenticate the payment.
	ActionRequired bool
	// SubscriptionCanceled: the invoice's subscription was cancelled.
	SubscriptionCanceled bool
	// recordEvent, if set, is the stored event that prompted the observation: its processing
	// status is recorded in the observation's transaction, saving one.
	recordEvent string
}

// Observed is what an observation did.
type Observed struct {
	CaseID int64
	State  recoup.CaseState
	Note   string
}

// Observe applies an observation to the invoice's case in one transaction: it opens the case on
// a first failure, records new failed attempts, recognises payment and closure, and re-plans.
// Observing the same facts twice changes nothing.
func (e *Engine) Observe(ctx context.Context, now time.Time, obs Observation) (Observed, error) {
	var res Observed
	err := e.store.Tx(ctx, func(tx recoup.Tx) error {
		var err error
		if res, err = e.observe(tx, now, obs); err != nil || obs.recordEvent == "" {
			return err
		}
		status, why := res.eventStatus()
		return tx.SetEventStatus(obs.recordEvent, status, why, now)
	})
	if err != nil {
		return Observed{}, fmt.Errorf("observe invoice %s: %w", obs.Invoice.ID, err)
	}
	return res, nil
}

func (e *Engine) observe(tx recoup.Tx, now time.Time, obs Observation) (Observed, error) {
	inv := obs.Invoice
	c, err := tx.CaseByInvoice(inv.ID)
	opened := false
	switch {
	case recoup.IsNotFound(err):
		if why := notRecoverable(inv); why != "" {
			return Observed{Note: why}, nil
		}
		c = openCase(inv, obs.EventCreated, now)
		seg, err := e.assignSegment(tx, &c, inv, now)
		if err != nil {
			return Observed{}, err
		}
		arm, armDetail, err := e.assignArm(tx, &c, now)
		if err != nil {
			return Observed{}, err
		}
		if err := tx.CreateCase(&c); err != nil {
			return Observed{}, fmt.Errorf("open case: %w", err)
		}
		opened = true
		if err := note(tx, &c, now, recoup.EntryEvent, fmt.Sprintf("%s: payment of %s failed; case opened in %s", obs.Source, c.Amount, segmentNote(seg)), obs.Source); err != nil {
			return Observed{}, err
		}
		if arm != "" {
			if err := note(tx, &c, now, recoup.EntryDecision, arm, armDetail); err != nil {
				return Observed{}, err
			}
		}
		if why := seg["segment_rule_error"]; why != "" {
			if err := note(tx, &c, now, recoup.EntryEvent, "a segment rule failed and was skipped: "+why, seg); err != nil {
				return Observed{}, err
			}
		}
		if err := e.emit(tx, &c, recoup.CaseOpened); err != nil {
			return Observed{}, err
		}
		if err := e.planTeamAlert(tx, &c, alertOpened, now); err != nil {
			return Observed{}, err
		}
		if err := e.planTakeover(tx, &c, now); err != nil {
			return Observed{}, err
		}
		if grace := e.view(&c).GracePeriod; grace > 0 && e.sink != nil {
			if err := tx.Enqueue(recoup.Job{Kind: recoup.JobLifecycle, CaseID: c.ID, Event: recoup.CaseGraceEnded, RunAt: c.FirstFailedAt.Add(grace)}); err != nil {
				return Observed{}, err
			}
		}
	case err != nil:
		return Observed{}, err
	default:
		if obs.Source.EventID != "" {
			if err := note(tx, &c, now, recoup.EntryEvent, obs.Source.String(), obs.Source); err != nil {
				return Observed{}, err
			}
		}
	}
	if c.State.Terminal() {
		return Observed{CaseID: c.ID, State: c.State, Note: "case already " + string(c.State)}, nil
	}
	var lessons []lesson
	changed, replan, err := e.apply(tx, &c, now, obs, &lessons)
	if err != nil {
		return Observed{}, err
	}
	if opened && c.State.Active() {
		news, err := e.earlierPaymentMethod(tx, &c, now)
		if err != nil {
			return Observed{}, err
		}
		changed, replan = changed || news, replan || news
	}
	if replan && c.State.Active() {
		if err := e.plan(tx, &c, now); err != nil {
			return Observed{}, err
		}
		changed = true
	}
	if settle, err := e.planSettle(tx, &c, now, obs.Invoice); err != nil {
		return Observed{}, err
	} else if settle {
		changed = true
	}
	if opened && c.State.Active() {
		if err := e.planMessage(tx, &c, now, 0); err != nil {
			return Observed{}, err
		}
	}
	if changed {
		if err := tx.UpdateCase(&c); err != nil {
			return Observed{}, fmt.Errorf("save case %d: %w", c.ID, err)
		}
	}
	// Last in the transaction, after the planning's sync of the model (see learn).
	for _, l := range lessons {
		if err := e.learn(tx, l.c, l.attempts, l.a, e.Policy()); err != nil {
			return Observed{}, err
		}
	}
	return Observed{CaseID: c.ID, State: c.State}, nil
}

// notRecoverable says why an invoice without a case needs none, or "" if it needs one.
func notRecoverable(inv recoup.Invoice) string {
	switch {
	case inv.Status != recoup.InvoiceOpen:
		return "invoice is " + string(inv.Status) + ": no case needed"
	case inv.CollectionMethod == "send_invoice":
		return "invoice is sent, not charged: no case"
	case !inv.Attempted || inv.AttemptCount == 0:
		return "invoice not attempted yet: no case"
	case inv.AmountRemaining <= 0:
		return "nothing left to collect: no case"
	}
	return ""
}

func openCase(inv recoup.Invoice, eventCreated, now time.Time) recoup.Case {
	return recoup.Case{
		InvoiceID: inv.ID, CustomerID: inv.CustomerID, SubscriptionID: inv.SubscriptionID,
		CustomerEmail: inv.CustomerEmail, CustomerCountry: inv.CustomerCountry, CustomerRegion: inv.CustomerRegion, Amount: inv.Remaining(), State: recoup.StateOpen,
		Category: recoup.CategoryUnknown, FirstFailedAt: paymentTime(inv, eventCreated, now), CreatedAt: now, UpdatedAt: now,
	}
}

// paymentTime dates the invoice's latest payment by Stripe's clock, as the payment-method
// changes a failure is compared with are: the payment's time, else the time of the event that
// reported it, and only without either (a backfill) the local clock, cut to Stripe's whole
// seconds so that a change in the same second is not taken for older.
func paymentTime(inv recoup.Invoice, eventCreated, now time.Time) time.Time {
	switch p := inv.LastPayment; {
	case p != nil && !p.At.IsZero():
		return p.At
	case !eventCreated.IsZero():
		return eventCreated
	}
	return now.Truncate(time.Second)
}

// apply brings the case in line with the invoice. It reports whether the case changed and
// whether the next action must be planned again.
//
// The outcomes of Stripe's attempts it saw, which the timing model learns, go to lessons.
func (e *Engine) apply(tx recoup.Tx, c *recoup.Case, now time.Time, obs Observation, lessons *[]lesson) (changed, replan bool, err error) {
	inv := obs.Invoice
	switch inv.Status {
	case recoup.InvoicePaid:
		if c.State == recoup.StatePlanning && inv.PaidOutOfBand {
			// Most likely the payment plan's own settlement, whose run records the outcome
			// (closed as replaced, or recovered if Stripe refused its settlement).
			return false, false, nil
		}
		return true, false, e.recovered(tx, c, now, inv, obs.Source, lessons)
	case recoup.InvoiceVoid:
		return true, false, e.close(tx, c, now, "the invoice was voided")
	case recoup.InvoiceUncollectible:
		if c.State == recoup.StateExhausted && c.FinalAction == recoup.FinalMarkUncollectible {
			return false, false, nil // our own final action
		}
		return true, false, e.close(tx, c, now, "the invoice was marked uncollectible outside recoup")
	}
	if obs.SubscriptionCanceled {
		if c.State == recoup.StateExhausted && c.FinalAction == recoup.FinalCancelSubscription {
			return false, false, nil // our own final action
		}
		// Also after another final action: nobody is asked to pay for a cancelled subscription.
		return true, false, e.close(tx, c, now, recoup.ClosedSubscriptionCancelled)
	}
	if c.State == recoup.StateExhausted && manages(e.view(c)) {
		return false, false, nil // the final action ran; only payment or closure changes it now
	}
	if c.State == recoup.StateRetrying {
		// recoup's own charge is in flight; its outcome is recorded by the charge itself.
		return false, false, nil
	}
	if inv.AttemptCount > c.StripeAttempts {
		if err := e.recordStripeAttempt(tx, c, now, inv, obs.EventCreated, lessons); err != nil {
			return false, false, err
		}
		changed, replan = true, true
	}
	if obs.ActionRequired && (c.LastDecline == nil || c.LastDecline.Code != "authentication_required") {
		c.LastDecline = &recoup.Decline{Code: "authentication_required", Message: "the customer must authenticate the payment"}
		changed, replan = true, true
	}
	if newMethod(c, obs) {
		if err := takeNewMethod(tx, c, now, obs, ""); err != nil {
			return false, false, err
		}
		changed, replan = true, true
	}
	return changed, replan, nil
}

// takeNewMethod makes a payment method that is news (newMethod) the one the case charges
// next, and says so on the timeline, with more appended to the summary.
func takeNewMethod(tx recoup.Tx, c *recoup.Case, now time.Time, obs Observation, more string) error {
	pm := obs.NewPaymentMethodID
	c.NewPaymentMethodID, c.NewCardSource = pm, recoup.CardCustomer
	summary := "new payment method " + pm + " from the customer"
	if obs.CardRefreshed {
		c.NewCardSource, summary = recoup.CardRefreshed, "card "+pm+" refreshed by the card updater"
	}
	return note(tx, c, now, recoup.EntryEvent, summary+more, obs.Source)
}

// earlierPaymentMethod applies to a case that has just opened the customer's newest
// payment-method change, reported before the failure was processed: Stripe does not order
// events, and its card updater may refresh the card at the decline itself. A change as new as
// the failure makes the case retry at once, as one observed on an open case would. It reports
// whether it changed the case. Reading the change takes the customer's lock (see
// paymentMethodChanged), so it is read even when the case has nothing to apply it to.
func (e *Engine) earlierPaymentMethod(tx recoup.Tx, c *recoup.Case, now time.Time) (bool, error) {
	if c.CustomerID == "" {
		return false, nil
	}
	ch, err := tx.PaymentMethodChange(c.CustomerID)
	if recoup.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("payment method change of customer %s: %w", c.CustomerID, err)
	}
	obs := Observation{NewPaymentMethodID: ch.PaymentMethodID, CardRefreshed: ch.Refreshed, EventCreated: ch.At,
		Source: Source{EventID: ch.EventID, EventType: "earlier payment method change"}}
	if !newMethod(c, obs) {
		return false, nil
	}
	return true, takeNewMethod(tx, c, now, obs, fmt.Sprintf(" at %s, reported before this failure was processed",
		ch.At.UTC().Format(time.DateTime+" MST")))
}

// newMethod reports whether a payment-method observation brings news to the case: a card
// other than the one that failed (or that one refreshed by the updater), not already known,
// and not from an event older than the failure delivered late. Stripe's times are whole
// seconds, so a change in the failure's second is not older.
func newMethod(c *recoup.Case, obs Observation) bool {
	switch pm := obs.NewPaymentMethodID; {
	case pm == "" || pm == c.NewPaymentMethodID:
		return false
	case pm == c.PaymentMethodID && !obs.CardRefreshed:
		return false
	}
	return obs.EventCreated.IsZero() || !obs.EventCreated.Before(c.FirstFailedAt.Truncate(time.Second))
}

// lesson is the outcome of a charge for the timing model to learn: the charge and the case as
// it stood before it (see learn).
type lesson struct {
	c        recoup.Case
	attempts []recoup.Attempt
	a        recoup.Attempt
}

// ownCharge is how close in time a charge Stripe reports must be to one of recoup's own for
// the two to be taken for one: recoup's charge raises the invoice's attempt count too, and its
// failure event may arrive after its outcome was recorded without the count.
const ownCharge = 10 * time.Minute

// stripeLesson returns, for an attempt of Stripe's at the time at, what the timing model learns
// from it (source stripe): nothing for the case's first failure (no retry yet), nor for a
// charge of recoup's own (learned where recoup made it).
func stripeLesson(c recoup.Case, attempts []recoup.Attempt, a recoup.Attempt) []lesson {
	if c.LastDecline == nil {
		return nil
	}
	for _, o := range attempts {
		if o.Source == recoup.SourceRecoup && (o.Status == recoup.AttemptPending || a.StartedAt.Sub(o.StartedAt).Abs() < ownCharge) {
			return nil
		}
	}
	return []lesson{{c: c, attempts: attempts, a: a}}
}

// recordStripeAttempt records the invoice's latest failed attempt, made by Stripe or seen for
// the first time, and makes its decline the case's. A retry of Stripe's is a lesson.
func (e *Engine) recordStripeAttempt(tx recoup.Tx, c *recoup.Case, now time.Time, inv recoup.Invoice, eventCreated time.Time, lessons *[]lesson) error {
	at := paymentTime(inv, eventCreated, now)
	before, err := tx.Attempts(c.ID)
	if err != nil {
		return err
	}
	was := *c
	a := recoup.Attempt{CaseID: c.ID, N: inv.AttemptCount, Source: recoup.SourceStripe, Status: recoup.AttemptDeclined, StartedAt: at, FinishedAt: at}
	if p := inv.LastPayment; p != nil {
		a.PaymentMethodID, a.Decline = p.PaymentMethodID, p.Decline
	}
	if a.Decline == nil {
		a.Decline = &recoup.Decline{Message: "Stripe reported no decline details"}
	}
	a.Decline.Category = decline.Classify(a.Decline).Category
	switch err := tx.InsertAttempt(&a); {
	case err == nil:
		*lessons = append(*lessons, stripeLesson(was, before, a)...)
	case recoup.ErrorCode(err) != recoup.ECONFLICT:
		return fmt.Errorf("record Stripe attempt: %w", err)
	}
	c.StripeAttempts = inv.AttemptCount
	c.LastDecline = a.Decline
	c.Amount = inv.Remaining()
	if a.PaymentMethodID != "" {
		if a.PaymentMethodID == c.NewPaymentMethodID { // the new card was tried and failed
			c.CardSource, c.NewPaymentMethodID, c.NewCardSource = c.NewCardSource, "", ""
		}
		c.PaymentMethodID = a.PaymentMethodID
	}
	c.LastAttemptAt = later(c.LastAttemptAt, a.StartedAt)
	return note(tx, c, now, recoup.EntryAttempt,
		fmt.Sprintf("Stripe attempt %d declined: %s (%s)", a.N, a.Decline.Reason(), a.Decline.Category), a)
}

// recovered marks the case paid and says by what. A payment by Stripe's retry is a lesson
// (nil lessons: not learned).
func (e *Engine) recovered(tx recoup.Tx, c *recoup.Case, now time.Time, inv recoup.Invoice, src Source, lessons *[]lesson) error {
	attempts, err := tx.Attempts(c.ID)
	if err != nil {
		return err
	}
	was := *c
	c.RecoveredBy = ""
	for i := range attempts {
		a := &attempts[i]
		if a.Source == recoup.SourceRecoup && a.Status == recoup.AttemptPending {
			// recoup's charge went through and its outcome had not been recorded yet.
			a.Status, a.FinishedAt, a.Card = recoup.AttemptSucceeded, now, chargedCard(*c, *a, inv, attempts)
			if err := tx.UpdateAttempt(a); err != nil {
				return err
			}
			e.metrics.AttemptFinished(string(recoup.AttemptSucceeded))
			c.RecoveredBy = a.Card.RecoveredBy()
		}
	}
	switch {
	case c.RecoveredBy != "":
	case inv.PaidOutOfBand:
		c.RecoveredBy = recoup.ByOutOfBand
	case paidByCustomer(c, inv):
		c.RecoveredBy = recoup.ByCustomerPaid
	default:
		c.RecoveredBy = recoup.ByStripeRetry
		if lessons != nil {
			at := paymentTime(inv, time.Time{}, now)
			a := recoup.Attempt{CaseID: c.ID, Source: recoup.SourceStripe, Status: recoup.AttemptSucceeded, StartedAt: at, FinishedAt: at}
			if p := inv.LastPayment; p != nil {
				a.PaymentMethodID = p.PaymentMethodID
			}
			*lessons = append(*lessons, stripeLesson(was, attempts, a)...)
		}
	}
	c.Amount = recoup.Money{Amount: inv.AmountPaid, Currency: inv.Currency}
	if err := transition(tx, c, recoup.StateRecovered, now, fmt.Sprintf("invoice paid (%s; recovered by %s)", c.Amount, c.RecoveredBy.Words())); err != nil {
		return err
	}
	return e.emit(tx, c, recoup.CaseRecovered)
}

// paidByCustomer reports whether a payment that was not recoup's was the customer's own: with
// another card than the one that failed, or after a decline only the customer could clear
// (authentication, which Stripe's off-session retries cannot pass). Otherwise it was Stripe's
// retry of the card on file.
func paidByCustomer(c *recoup.Case, inv recoup.Invoice) bool {
	if p := inv.LastPayment; p != nil && p.PaymentMethodID != "" && p.PaymentMethodID != c.PaymentMethodID {
		return true
	}
	return c.Category == recoup.CategoryAuthentication || c.LastDecline != nil && c.LastDecline.Code == "authentication_required"
}

func (e *Engine) close(tx recoup.Tx, c *recoup.Case, now time.Time, why string) error {
	c.ClosedReason = why
	return transition(tx, c, recoup.StateClosed, now, why)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
