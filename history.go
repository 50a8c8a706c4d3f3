package recoup

import "time"

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
