package recoup

import (
	"context"
	"time"
)

// InvoiceStatus is Stripe's invoice status.
type InvoiceStatus string

// Invoice statuses.
const (
	InvoiceDraft         InvoiceStatus = "draft"
	InvoiceOpen          InvoiceStatus = "open"
	InvoicePaid          InvoiceStatus = "paid"
	InvoiceUncollectible InvoiceStatus = "uncollectible"
	InvoiceVoid          InvoiceStatus = "void"
)

// Invoice is an invoice as Stripe shows it now, with its latest payment attempt.
type Invoice struct {
	ID               string        `json:"id"`
	CustomerID       string        `json:"customer_id"`
	SubscriptionID   string        `json:"subscription_id,omitempty"`
	CustomerEmail    string        `json:"customer_email,omitempty"`
	CustomerName     string        `json:"customer_name,omitempty"` // as on the invoice; for greetings
	CustomerCountry  string        `json:"customer_country,omitempty"`
	Status           InvoiceStatus `json:"status"`
	AmountDue        int64         `json:"amount_due"`
	AmountPaid       int64         `json:"amount_paid"`
	AmountRemaining  int64         `json:"amount_remaining"`
	Currency         string        `json:"currency"`
	AttemptCount     int           `json:"attempt_count"`
	Attempted        bool          `json:"attempted"`
	CollectionMethod string        `json:"collection_method"` // charge_automatically | send_invoice
	BillingReason    string        `json:"billing_reason,omitempty"`
	PaidOutOfBand    bool          `json:"paid_out_of_band,omitempty"`
	Created          time.Time     `json:"created"`
	// NextPaymentAttempt is when Stripe itself will retry; zero when it will not.
	NextPaymentAttempt time.Time `json:"next_payment_attempt,omitzero"`
	PaidAt             time.Time `json:"paid_at,omitzero"`
	// LastPayment is the latest payment attempt on the invoice, nil if none is known.
	LastPayment *Payment `json:"last_payment,omitempty"`
}

// Remaining is the amount still to collect.
func (inv *Invoice) Remaining() Money {
	return Money{Amount: inv.AmountRemaining, Currency: inv.Currency}
}

// Payment is one payment attempt on an invoice (a PaymentIntent and its latest charge).
type Payment struct {
	PaymentIntentID string    `json:"payment_intent_id,omitempty"`
	PaymentMethodID string    `json:"payment_method_id,omitempty"`
	Status          string    `json:"status"` // the PaymentIntent status: succeeded, requires_payment_method, requires_action, ...
	Decline         *Decline  `json:"decline,omitempty"`
	At              time.Time `json:"at"`
}

// PayRequest asks to charge an invoice.
type PayRequest struct {
	InvoiceID       string
	IdempotencyKey  string
	PaymentMethodID string // empty: Stripe charges the subscription's or customer's default
}

// PayResult is the answer to a charge that reached Stripe and was decided: either the invoice is
// paid, or the charge was declined with Decline.
type PayResult struct {
	Paid    bool
	Decline *Decline
	Invoice Invoice // the invoice after the call, when Stripe returned it
}

// Gateway is the engine's view of Stripe. Implementations retry transport errors, 429s and 5xx
// with backoff; an error they return carries EUNAVAILABLE when the outcome is unknown (Stripe
// down or timing out), ENOTFOUND when the object does not exist, EINVALID otherwise.
type Gateway interface {
	Invoice(ctx context.Context, id string) (Invoice, error)
	// Pay charges the invoice. A decline is a result, not an error.
	Pay(ctx context.Context, req PayRequest) (PayResult, error)
	CancelSubscription(ctx context.Context, subscriptionID, idempotencyKey string) error
	MarkUncollectible(ctx context.Context, invoiceID, idempotencyKey string) error
}
