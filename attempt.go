package recoup

import "time"

// AttemptSource says who made a charge attempt.
type AttemptSource string

// Attempt sources.
const (
	SourceRecoup AttemptSource = "recoup" // recoup's own charge
	SourceStripe AttemptSource = "stripe" // Stripe's automatic collection, seen through its events
)

// AttemptStatus is the outcome of a charge attempt.
type AttemptStatus string

// Attempt statuses.
const (
	AttemptPending   AttemptStatus = "pending"   // recorded before the call; outcome not known yet
	AttemptSucceeded AttemptStatus = "succeeded" // the invoice was paid
	AttemptDeclined  AttemptStatus = "declined"  // the issuer or Stripe declined
	AttemptError     AttemptStatus = "error"     // the call failed (Stripe 5xx, timeout) and the invoice stayed open
)

// CardSource says how the card a charge ran on came to be the case's card. It is recorded on
// recoup's attempt when the charge is made, and decides what a successful charge is credited
// with (RecoveredBy).
type CardSource string

// Card sources. The empty source is the card the invoice failed on (and, on an attempt, one
// recorded before sources were: migration 00011).
const (
	CardSame      CardSource = "same"      // the card the invoice failed on, unchanged
	CardRefreshed CardSource = "refreshed" // that card as the card updater refreshed it (new expiry or number)
	CardCustomer  CardSource = "customer"  // a card the customer supplied since: a new payment method, or a new default
	CardBackup    CardSource = "backup"    // another payment method the customer keeps on file (policy backup_payment_method)
	// CardRemainderSettled: no card was charged; the partly paid invoice was marked paid and
	// its small rest written off (policy settle_remainder_below).
	CardRemainderSettled CardSource = "remainder_settled"
)

// RecoveredBy is what a successful recoup charge on a card of this source is credited with.
func (s CardSource) RecoveredBy() RecoveredBy {
	switch s {
	case CardRefreshed:
		return ByCardUpdater
	case CardCustomer:
		return ByCustomerNewCard
	case CardBackup:
		return ByBackupMethod
	case CardRemainderSettled:
		return ByRemainderSettled
	}
	return ByRecoupRetry
}

// Words describe the card for people; "" for an unknown source.
func (s CardSource) Words() string {
	switch s {
	case CardSame:
		return "the card that failed"
	case CardRefreshed:
		return "the card the card updater refreshed"
	case CardCustomer:
		return "the customer's new card"
	case CardBackup:
		return "a backup payment method on file"
	case CardRemainderSettled:
		return "the unpaid rest settled"
	}
	return ""
}

// Attempt is one charge of a case's invoice. recoup's attempts are recorded, with their
// idempotency key, before the call is made.
type Attempt struct {
	ID              int64         `json:"id"`
	CaseID          int64         `json:"case_id"`
	N               int           `json:"n"` // recoup's attempt number (1, 2, ...), or the invoice's attempt_count for Stripe's
	Source          AttemptSource `json:"source"`
	IdempotencyKey  string        `json:"idempotency_key,omitempty"`
	PaymentMethodID string        `json:"payment_method_id,omitempty"`
	// Card is how the charged card came to be the case's (recoup's attempts only).
	Card       CardSource    `json:"card,omitempty"`
	Status     AttemptStatus `json:"status"`
	Decline    *Decline      `json:"decline,omitempty"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt time.Time     `json:"finished_at,omitzero"` // zero while pending
}
