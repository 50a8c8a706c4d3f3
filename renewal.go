package recoup

import (
	"context"
	"time"
)

// Renewal is a subscription's next renewal and the card that will pay it, as Stripe shows them
// now: what pre-dunning compares. It holds no card data beyond the card's id and when it stops
// working.
type Renewal struct {
	CustomerID     string    `json:"customer_id"`
	SubscriptionID string    `json:"subscription_id"`
	RenewsAt       time.Time `json:"renews_at"` // the end of the current period: the next charge
	Amount         Money     `json:"amount"`    // the subscription's price per period, when known
	// PaymentMethodID is the card the renewal charges: the subscription's default payment
	// method, else the customer's invoice default. "" when none is known.
	PaymentMethodID string `json:"payment_method_id,omitempty"`
	// CardExpiresAt is the first instant the card no longer works: the first day of the month
	// after its expiry month, UTC (a card is valid through the end of its expiry month). Zero
	// when the payment method is not a card.
	CardExpiresAt time.Time `json:"card_expires_at,omitzero"`
}

// CardExpiresBefore reports whether the renewal's card will have expired when it renews.
func (r Renewal) CardExpiresBefore() bool {
	return !r.CardExpiresAt.IsZero() && !r.CardExpiresAt.After(r.RenewsAt)
}

// RenewalGateway reads the renewals of a customer's subscriptions. stripeapi.Client
// implements it.
type RenewalGateway interface {
	// Renewals lists the customer's active (or trialing) subscriptions that will renew, each
	// with the card its renewal charges.
	Renewals(ctx context.Context, customerID string) ([]Renewal, error)
}

// CardExpiry is the first instant a card with the expiry month and year no longer works.
func CardExpiry(month, year int) time.Time {
	if month < 1 || month > 12 || year < 1 {
		return time.Time{}
	}
	return time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC)
}
