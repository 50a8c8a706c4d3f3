package recoup

import (
	"context"
	"iter"
	"time"
)

// HistorySource is where a history import reads the account's past: Stripe's listings of
// charges and of invoices created at or after since (everything when since is zero), newest
// first, resumable after the ID startingAfter ("" starts at the newest). A listing failure is
// yielded once as the error and ends the sequence; an unknown startingAfter is EINVALID.
// stripeapi.Client implements it against Stripe; the simulator's worlds implement it for the
// year they played before a run, so that both are imported through the same code.
type HistorySource interface {
	Charges(ctx context.Context, since time.Time, startingAfter string) iter.Seq2[HistoricalCharge, error]
	Invoices(ctx context.Context, since time.Time, startingAfter string) iter.Seq2[HistoricalInvoice, error]
}

// HistoricalCharge is one payment attempt from the account's past, as Stripe's charge list
// shows it: the raw material of a history import, which learns from how past declines ended.
type HistoricalCharge struct {
	ID       string
	Created  time.Time
	Amount   int64 // in the currency's smallest unit
	Currency string
	// Status is Stripe's: succeeded, failed or pending.
	Status          string
	CustomerID      string
	PaymentIntentID string
	PaymentMethodID string
	// Decline is why the charge failed (nil unless Status is failed): the charge's failure
	// code, its outcome (type, reason, network status, advice and network codes) and the card.
	// DeclineCode is the outcome's reason for an issuer decline, as Stripe reports it there.
	Decline *Decline
	// The card charged (payment_method_details.card), also on a success.
	CardBrand   string // visa, mastercard, ...
	CardFunding string // credit, debit, prepaid, unknown
	CardCountry string // the issuing country, ISO 3166-1 alpha-2
}

// HistoricalInvoice is an invoice from the account's past and how it ended.
type HistoricalInvoice struct {
	ID             string
	Created        time.Time
	CustomerID     string
	SubscriptionID string
	// Status is where the invoice stands: draft, open, paid, void or uncollectible.
	Status           InvoiceStatus
	Currency         string
	AmountDue        int64
	AmountPaid       int64
	AttemptCount     int
	BillingReason    string
	CollectionMethod string
	// PaidOutOfBand says the invoice was settled outside Stripe (amount_paid_off_stripe).
	PaidOutOfBand bool
	PaidAt        time.Time
	VoidedAt      time.Time
	// MarkedUncollectibleAt is when the invoice was given up as uncollectible.
	MarkedUncollectibleAt time.Time
	// PaymentIntentIDs are the invoice's payments' PaymentIntents, oldest first: since API
	// 2025-03-31 neither a charge nor a PaymentIntent names its invoice, so this is how a
	// charge (HistoricalCharge.PaymentIntentID) is joined to its invoice.
	PaymentIntentIDs []string
	// ChargeIDs are the invoice's payments made by a bare charge (older invoices).
	ChargeIDs []string
}

// HistoryCharge is a charge the history import keeps: the charge as Stripe listed it, the
// invoice it was joined to ("" until then) and whether the timing model learned its outcome.
type HistoryCharge struct {
	HistoricalCharge
	InvoiceID string
	Learned   bool
}

// How a past invoice ended (PastInvoice.Ended).
const (
	PastPaidByRetry    = "paid_by_retry"    // a retry of the card that failed collected it
	PastPaidByCustomer = "paid_by_customer" // the customer paid: another card, or outside Stripe
	PastUnpaid         = "unpaid"           // voided or marked uncollectible
)

// PastInvoice is an invoice of the account's past whose payment failed, as the history import
// keeps it: enough for the timing model and the customer's history, and no personal data
// beyond Stripe's customer ID (no email, name or address).
type PastInvoice struct {
	ID         string
	CustomerID string
	// Country is the failed card's issuing country: the import reads no address.
	Country       string
	Amount        int64 // due, in the currency's minor unit
	Currency      string
	Category      Category // of the first failure
	FirstFailedAt time.Time
	// Ended is how the invoice ended: one of the Past constants, or "" while it is open.
	Ended   string
	EndedAt time.Time
	// Attempts are the invoice's charges, oldest first (filled when read with them).
	Attempts []HistoryCharge
}

// History import phases (HistoryImport.Phase), in order.
const (
	ImportCharges  = "charges"  // listing the charges
	ImportInvoices = "invoices" // listing the invoices and joining their charges
	ImportLearn    = "learn"    // teaching the model the outcomes, oldest invoice first
	ImportDone     = "done"
)

// HistoryImport is one run of the history import and its checkpoint: where each listing
// stopped (the last ID committed), so that a killed import resumes after it.
type HistoryImport struct {
	ID            int64
	Since         time.Time
	Phase         string
	ChargesAfter  string
	InvoicesAfter string
	Charges       int // charges stored
	Invoices      int // failed invoices stored
	Observations  int // outcomes taught to the timing model
	StartedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    time.Time
}

// HistoryRecord is what the history import stored about a period, read on one snapshot of
// the store: the material of the history report.
type HistoryRecord struct {
	// Import is the latest history import.
	Import HistoryImport
	// Invoices are the failed invoices whose first failure lies in the period, the earliest
	// first failure first, each with its charges (Attempts, oldest first, also those after
	// the period's end).
	Invoices []PastInvoice
	// Charges are every stored charge created in the period, of any invoice or none (first-try
	// successes too), oldest first: the cards' ledgers the network rules count over.
	Charges []HistoryCharge
}

// HistoryReader reads the imported history for reports.
type HistoryReader interface {
	// ReadHistory reads the history of the period [from, to) on one snapshot of the store;
	// ENOTFOUND if no history import ever ran.
	ReadHistory(ctx context.Context, from, to time.Time) (HistoryRecord, error)
}
