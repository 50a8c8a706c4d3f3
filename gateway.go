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
	CustomerRegion   string        `json:"customer_region,omitempty"` // the address's state or province
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
	// AutoAdvance is Stripe's automatic collection of the invoice (auto_advance): on, Stripe
	// retries and reminds by itself.
	AutoAdvance bool      `json:"auto_advance,omitempty"`
	Created     time.Time `json:"created"`
	// NextPaymentAttempt is when Stripe itself will retry; zero when it will not.
	NextPaymentAttempt time.Time `json:"next_payment_attempt,omitzero"`
	PaidAt             time.Time `json:"paid_at,omitzero"`
	// DueDate is when an invoice sent to be paid by the customer (collection_method
	// send_invoice) is due; zero for invoices charged automatically.
	DueDate time.Time `json:"due_date,omitzero"`
	// LastPayment is the latest payment attempt on the invoice, nil if none is known.
	LastPayment *Payment `json:"last_payment,omitempty"`

	// Facts about the subscription and the customer, which policy segments read when a case
	// opens; nil when Stripe did not include them. A pointer keeps Invoice comparable.
	Facts *InvoiceFacts `json:"facts,omitempty"`
}

// InvoiceFacts describe an invoice's subscription and customer as Stripe showed them with it.
type InvoiceFacts struct {
	Interval              string            `json:"interval,omitempty"` // the subscription's billing interval: day, week, month, year
	IntervalCount         int               `json:"interval_count,omitempty"`
	PriceIDs              []string          `json:"price_ids,omitempty"`
	ProductIDs            []string          `json:"product_ids,omitempty"`
	SubscriptionStatus    string            `json:"subscription_status,omitempty"`
	SubscriptionMetadata  map[string]string `json:"subscription_metadata,omitempty"`
	CustomerMetadata      map[string]string `json:"customer_metadata,omitempty"`
	CustomerCreated       time.Time         `json:"customer_created,omitzero"`
	CustomerLifetimeValue int64             `json:"customer_lifetime_value,omitempty"` // minor units paid so far, when known
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

// SubscriptionGateway is the part of Stripe the final actions that keep a subscription need:
// cancelling at the end of the paid period, and pausing collection. stripeapi.Client
// implements it; a gateway without it cannot run those final actions.
type SubscriptionGateway interface {
	CancelAtPeriodEnd(ctx context.Context, subscriptionID, idempotencyKey string) error
	PauseCollection(ctx context.Context, subscriptionID, idempotencyKey string) error
}

// PlanInvoice is one part of a payment plan, as an invoice to create in Stripe: a draft of
// the customer's, charged automatically, that Stripe leaves alone (auto_advance false) until
// the plan turns it on with SchedulePlanInvoice. When InvoiceID is set the draft exists (a
// crash left it without its amount) and only its invoice item is added.
type PlanInvoice struct {
	CustomerID     string
	Amount         int64
	Currency       string
	Description    string
	Metadata       map[string]string
	IdempotencyKey string
	InvoiceID      string
}

// PlanPart is a payment plan's part as Stripe shows it now, found by its metadata
// (recoup_plan_of: the replaced invoice; recoup_plan_part: "N/Of").
type PlanPart struct {
	ID          string
	N, Of       int
	Amount      int64 // amount_due: 0 while the draft has no invoice item yet
	Currency    string
	Status      InvoiceStatus
	AutoAdvance bool // Stripe finalizes and charges it by itself
	Created     time.Time
}

// PlanGateway is the part of Stripe a payment plan needs: creating the parts as inert drafts,
// finding them again, settling the original invoice outside Stripe's charge, turning the parts
// on, and removing the parts of a plan given up. stripeapi.Client implements it.
type PlanGateway interface {
	CreatePlanInvoice(ctx context.Context, inv PlanInvoice) (invoiceID string, err error)
	// PlanParts lists the parts of the plan replacing invoiceID among the customer's invoices
	// created since then, whatever their status (a deleted draft is gone).
	PlanParts(ctx context.Context, customerID, invoiceID string, since time.Time) ([]PlanPart, error)
	// SettleOutOfBand marks the invoice paid outside Stripe. Stripe refuses it for an invoice
	// that is paid already or void (EINVALID).
	SettleOutOfBand(ctx context.Context, invoiceID, idempotencyKey string) error
	// SchedulePlanInvoice turns a draft part on: Stripe finalizes it at at and charges it.
	SchedulePlanInvoice(ctx context.Context, invoiceID string, at time.Time, idempotencyKey string) error
	// CancelPlanInvoice removes a part: a draft is deleted (Stripe voids only finalized
	// invoices), an open one voided. A part already gone or void is a success.
	CancelPlanInvoice(ctx context.Context, invoiceID, idempotencyKey string) error
}

// TakeoverGateway is the part of Stripe that takes one invoice out of Stripe's own recovery
// and gives it back: auto_advance off stops Stripe's retries, reminder emails and automations
// for that invoice only (docs/stripe-takeover.md); on hands it back. stripeapi.Client
// implements it.
type TakeoverGateway interface {
	// SetAutoAdvance turns Stripe's automatic collection of the invoice off or on. Stripe
	// changes it only on a draft or open invoice: for one that is paid, void or uncollectible
	// the error carries ECONFLICT.
	SetAutoAdvance(ctx context.Context, invoiceID string, on bool, idempotencyKey string) error
}
