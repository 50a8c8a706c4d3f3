package recoup

import (
	"errors"
	"fmt"
	"time"
)

// CaseState is where a recovery case stands. The list of states and the legal moves between
// them are explicit; Transition refuses anything else.
type CaseState string

// The states of a recovery case.
const (
	StateOpen             CaseState = "open"              // just opened; nothing planned yet
	StateScheduled        CaseState = "scheduled"         // a retry is planned at NextAction.At
	StateRetrying         CaseState = "retrying"          // a charge attempt is recorded and in flight
	StateAwaitingCustomer CaseState = "awaiting_customer" // the card cannot be retried; waiting for a new payment method or authentication
	StatePaused           CaseState = "paused"            // an operator paused recovery: no charge, message or final action until resumed
	StatePlanning         CaseState = "planning"          // a payment plan is being set up: nothing acts on the case until it is in place or abandoned
	StateExhausted        CaseState = "exhausted"         // no retry left; the final action ran; the invoice is still unpaid
	StateRecovered        CaseState = "recovered"         // the invoice is paid
	StateClosed           CaseState = "closed"            // the invoice was voided, written off or its subscription cancelled outside recoup
)

// CaseStates lists every state, in lifecycle order.
var CaseStates = []CaseState{StateOpen, StateScheduled, StateRetrying, StateAwaitingCustomer, StatePaused, StatePlanning, StateExhausted, StateRecovered, StateClosed}

// ErrIllegalTransition is returned (wrapped) when a case is asked to make a move its state
// machine does not allow.
var ErrIllegalTransition = errors.New("illegal case state transition")

var transitions = map[CaseState][]CaseState{
	StateOpen:             {StateScheduled, StateAwaitingCustomer, StateExhausted, StateRecovered, StateClosed, StatePaused, StatePlanning},
	StateScheduled:        {StateScheduled, StateRetrying, StateAwaitingCustomer, StateExhausted, StateRecovered, StateClosed, StatePaused, StatePlanning},
	StateRetrying:         {StateScheduled, StateAwaitingCustomer, StateExhausted, StateRecovered, StateClosed},
	StateAwaitingCustomer: {StateScheduled, StateAwaitingCustomer, StateExhausted, StateRecovered, StateClosed, StatePaused, StatePlanning},
	StatePaused:           {StateScheduled, StateRecovered, StateClosed, StatePlanning}, // resumed through scheduled, then planned afresh; paid or closed meanwhile
	// A plan in place closes the case; one abandoned before the invoice was settled leaves it
	// paused for the operator, or exhausted again if its final action had run.
	StatePlanning:  {StateClosed, StateRecovered, StatePaused, StateExhausted},
	StateExhausted: {StateRecovered, StateClosed, StatePlanning},
	StateRecovered: {},
	StateClosed:    {},
}

// Valid reports whether s is one of the known states.
func (s CaseState) Valid() bool { _, ok := transitions[s]; return ok }

// Terminal reports whether no transition leaves s.
func (s CaseState) Terminal() bool { return s.Valid() && len(transitions[s]) == 0 }

// Active reports whether the case still needs work (not exhausted, recovered or closed) and
// the engine is working on it (not paused).
func (s CaseState) Active() bool {
	return s == StateOpen || s == StateScheduled || s == StateRetrying || s == StateAwaitingCustomer
}

// CanTransition reports whether the state machine allows moving from s to to.
func (s CaseState) CanTransition(to CaseState) bool {
	for _, t := range transitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// RecoveredBy says what brought the money in. recoup's own charges are told apart by the card
// they ran on (Attempt.Card): the card that failed, the same card as the card updater refreshed
// it, or a card the customer supplied since. A new card the customer gave is the customer's
// recovery even though recoup's charge collected it (ByCustomerNewCard).
type RecoveredBy string

// What recovered a case.
const (
	ByRecoupRetry     RecoveredBy = "recoup_retry"      // recoup's charge on the card that had failed
	ByCardUpdater     RecoveredBy = "card_updater"      // recoup's charge on the failed card as the card updater refreshed it
	ByCustomerNewCard RecoveredBy = "customer_new_card" // recoup's charge on a card the customer supplied after the failure
	ByCustomerPaid    RecoveredBy = "customer_paid"     // the customer paid the invoice themselves (hosted page, another card)
	ByStripeRetry     RecoveredBy = "stripe_retry"      // Stripe's own retry (observe mode, or Stripe's retries left on)
	ByOutOfBand       RecoveredBy = "out_of_band"       // marked paid outside Stripe
	// ByBackupMethod: recoup's charge on another payment method the customer keeps on file
	// (policy backup_payment_method), after the card that failed could not be charged again.
	ByBackupMethod RecoveredBy = "backup_payment_method"
	// ByRemainderSettled: the customer paid part of the invoice and recoup marked it paid
	// because the unpaid rest was under the policy's settle_remainder_below.
	ByRemainderSettled RecoveredBy = "remainder_settled"
)

// RecoveryMechanisms lists every mechanism, recoup's own charges first: the order of the
// dashboard's "recovered by".
var RecoveryMechanisms = []RecoveredBy{ByRecoupRetry, ByCardUpdater, ByBackupMethod, ByCustomerNewCard, ByCustomerPaid, ByStripeRetry, ByOutOfBand, ByRemainderSettled}

// mechanismWords are the mechanisms' names for people (dashboard, reports).
var mechanismWords = map[RecoveredBy]string{
	ByRecoupRetry:      "recoup's retry",
	ByCardUpdater:      "card updater",
	ByCustomerNewCard:  "customer's new card",
	ByCustomerPaid:     "customer paid",
	ByStripeRetry:      "Stripe's retries",
	ByOutOfBand:        "outside Stripe",
	ByBackupMethod:     "backup payment method",
	ByRemainderSettled: "remainder settled",
}

// Words names the mechanism for people; an unknown one by its identifier.
func (b RecoveredBy) Words() string {
	if w, ok := mechanismWords[b]; ok {
		return w
	}
	return string(b)
}

// ActionKind is the kind of a planned action.
type ActionKind string

// Planned action kinds.
const (
	ActionRetry ActionKind = "retry" // charge the invoice
	ActionFinal ActionKind = "final" // run the policy's final action
	// ActionBackup charges a backup payment method the customer keeps on file, if one is
	// left that the policy allows; otherwise the case is planned again without.
	ActionBackup ActionKind = "backup"
	// ActionSettle marks a partly paid invoice paid when its rest is under the policy's
	// settle_remainder_below.
	ActionSettle ActionKind = "settle"
)

// Action is the next thing the engine will do for a case, and when. Seq identifies the plan:
// a job that carries an older Seq is stale and does nothing.
type Action struct {
	Seq    int        `json:"seq"`
	Kind   ActionKind `json:"kind"`
	At     time.Time  `json:"at"`
	Reason string     `json:"reason"`
}

// Case is the recovery of one unpaid invoice. There is at most one case per invoice.
type Case struct {
	ID             int64  `json:"id"`
	InvoiceID      string `json:"invoice_id"`
	CustomerID     string `json:"customer_id"`
	SubscriptionID string `json:"subscription_id,omitempty"`
	CustomerEmail  string `json:"customer_email,omitempty"`
	// CustomerCountry (ISO 3166-1 alpha-2) and CustomerRegion (state or province) are the
	// customer's address as Stripe has it: they set the customer's local clock and bank holidays.
	CustomerCountry string    `json:"customer_country,omitempty"`
	CustomerRegion  string    `json:"customer_region,omitempty"`
	Amount          Money     `json:"amount"`
	State           CaseState `json:"state"`
	Category        Category  `json:"category"`
	LastDecline     *Decline  `json:"last_decline,omitempty"`
	// PaymentMethodID is the payment method of the last failed charge; NewPaymentMethodID is
	// one the customer (or a card updater) supplied since, which the next retry charges.
	// CardSource and NewCardSource say how each came to be the case's card ("": the card the
	// invoice failed on), so that a charge on either is credited right (Attempt.Card).
	PaymentMethodID    string      `json:"payment_method_id,omitempty"`
	NewPaymentMethodID string      `json:"new_payment_method_id,omitempty"`
	CardSource         CardSource  `json:"card_source,omitempty"`
	NewCardSource      CardSource  `json:"new_card_source,omitempty"`
	Attempts           int         `json:"attempts"`        // charges recoup has made
	StripeAttempts     int         `json:"stripe_attempts"` // the invoice's attempt_count as last seen (all sources)
	FirstFailedAt      time.Time   `json:"first_failed_at"`
	LastAttemptAt      time.Time   `json:"last_attempt_at,omitzero"` // the latest charge attempt, by anyone
	NextAction         *Action     `json:"next_action,omitempty"`
	PlanSeq            int         `json:"plan_seq"` // the Seq of the latest plan
	RecoveredBy        RecoveredBy `json:"recovered_by,omitempty"`
	FinalAction        FinalAction `json:"final_action,omitempty"` // the final action taken, once taken
	ClosedReason       string      `json:"closed_reason,omitempty"`
	CreatedAt          time.Time   `json:"created_at"`
	UpdatedAt          time.Time   `json:"updated_at"`
	ResolvedAt         time.Time   `json:"resolved_at,omitzero"`
	Version            int64       `json:"version"` // optimistic-lock counter, maintained by the Store

	// Segment is the policy segment the case was sorted into when it opened; its rules apply
	// to the case for its whole life.
	Segment string `json:"segment,omitempty"`
	// Review is where the case's final action stands with an operator, when the policy asks
	// for manual review; ReviewedBy is who approved it.
	Review     ReviewState `json:"review,omitempty"`
	ReviewedBy string      `json:"reviewed_by,omitempty"`
	// ShadowCharges counts the charges recoup would have made in observe-only mode.
	ShadowCharges int `json:"shadow_charges,omitempty"`
	// Experiment and Arm are the policy experiment and the arm the case was assigned to when
	// it opened ("": none); like the segment, they hold for the case's whole life.
	Experiment string `json:"experiment,omitempty"`
	Arm        string `json:"arm,omitempty"`
	// TakenOverAt is when recoup took the invoice out of Stripe's automatic collection
	// (auto_advance false); zero while Stripe's own recovery still runs on it.
	TakenOverAt time.Time `json:"taken_over_at,omitzero"`
	// TakeoverRound counts the times recoup gave the invoice back to Stripe's automatic
	// collection (it stopped managing the case); it numbers the idempotency keys of the next
	// takeover and give-back.
	TakeoverRound int `json:"takeover_round,omitempty"`
	// Backup is where the case stands with backup payment methods ("": one may be tried).
	Backup BackupState `json:"backup,omitempty"`
}

// NextCard is the payment method recoup's next charge names ("": the customer's default, which
// Stripe charges) and how that card came to be the case's: the new card if one was supplied
// since the last failure, else the card that failed last.
func (c *Case) NextCard() (paymentMethodID string, src CardSource) {
	if c.NewPaymentMethodID != "" {
		if c.NewCardSource == "" {
			return c.NewPaymentMethodID, CardCustomer
		}
		return c.NewPaymentMethodID, c.NewCardSource
	}
	if c.CardSource == "" {
		return "", CardSame
	}
	return "", c.CardSource
}

// ReviewState is where a final action that needs an operator's approval stands.
type ReviewState string

// Review states. The empty state: no review asked.
const (
	ReviewPending  ReviewState = "pending"  // the final action is due and waits for approval
	ReviewApproved ReviewState = "approved" // an operator approved it; it runs
)

// Transition moves the case to state to, or returns ErrIllegalTransition.
func (c *Case) Transition(to CaseState, now time.Time) error {
	if !c.State.CanTransition(to) {
		return fmt.Errorf("case %d: %s -> %s: %w", c.ID, c.State, to, ErrIllegalTransition)
	}
	c.State = to
	c.UpdatedAt = now
	if to.Terminal() || to == StateExhausted {
		c.NextAction = nil
		c.ResolvedAt = now
	}
	return nil
}

// Plan sets the case's next action, giving it a new Seq. It returns the action.
func (c *Case) Plan(kind ActionKind, at time.Time, reason string) Action {
	c.PlanSeq++
	a := Action{Seq: c.PlanSeq, Kind: kind, At: at, Reason: reason}
	c.NextAction = &a
	return a
}

// IdempotencyKey is the Stripe idempotency key of recoup's n-th charge attempt on this case. It
// is derived from the case and the attempt number only, so a re-run after a crash sends the same
// key and Stripe replays the first result instead of charging again.
func (c *Case) IdempotencyKey(n int) string {
	return fmt.Sprintf("recoup-case-%d-%s-attempt-%d", c.ID, c.InvoiceID, n)
}

// TakeoverKey is the idempotency key of the call that takes the case's invoice out of
// Stripe's automatic collection. After a give-back (TakeoverRound > 0) it names the round, so
// that taking the invoice over again is a new request and not Stripe's replay of the first.
func (c *Case) TakeoverKey() string {
	if c.TakeoverRound > 0 {
		return fmt.Sprintf("recoup-case-%d-%s-takeover-%d", c.ID, c.InvoiceID, c.TakeoverRound)
	}
	return fmt.Sprintf("recoup-case-%d-%s-takeover", c.ID, c.InvoiceID)
}

// GiveBackKey is the idempotency key of the call that gives the case's invoice back to
// Stripe's automatic collection, once per round.
func (c *Case) GiveBackKey() string {
	return fmt.Sprintf("recoup-case-%d-%s-giveback-%d", c.ID, c.InvoiceID, c.TakeoverRound)
}

// FinalActionKey is the idempotency key of the case's final action.
func (c *Case) FinalActionKey(a FinalAction) string {
	return fmt.Sprintf("recoup-case-%d-%s-final-%s", c.ID, c.InvoiceID, a)
}

// Validate reports an EINVALID error if the case cannot be stored: every case belongs to an
// invoice and is in a known state.
func (c *Case) Validate() error {
	if c.InvoiceID == "" {
		return Errorf(EINVALID, "case has no invoice")
	}
	if !c.State.Valid() {
		return Errorf(EINVALID, "case has an unknown state %q", c.State)
	}
	if c.Arm != "" && c.Experiment == "" {
		return Errorf(EINVALID, "case is in arm %q of no experiment", c.Arm)
	}
	return nil
}

// Clone returns c with its own copies of what it points to (the last decline and the next
// action), for stores that hand out cases they keep.
func (c Case) Clone() Case {
	if c.LastDecline != nil {
		d := *c.LastDecline
		c.LastDecline = &d
	}
	if c.NextAction != nil {
		a := *c.NextAction
		c.NextAction = &a
	}
	return c
}
