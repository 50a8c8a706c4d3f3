package recoup

import "context"

// CardSwitch is what was done so that a subscription's future invoices charge a card the
// customer supplied. Stripe charges a subscription's own default payment method before the
// customer's invoice default, and the Billing Portal sets only the latter: without a switch, a
// subscription with its own default keeps charging the old card at the next renewal.
type CardSwitch string

// Card switches.
const (
	// CardAlreadyCharged: the subscription already charges the card; nothing was changed.
	CardAlreadyCharged CardSwitch = "already_charged"
	// CardDefaultCleared: the card is the customer's invoice default; the subscription's own
	// default was removed so the customer's applies, now and after any later portal update.
	CardDefaultCleared CardSwitch = "subscription_default_cleared"
	// CardDefaultSet: the card is not the customer's default; it was made the subscription's.
	CardDefaultSet CardSwitch = "subscription_default_set"
	// CardSubscriptionEnded: the subscription is cancelled; there is nothing to switch.
	CardSubscriptionEnded CardSwitch = "subscription_ended"
)

// CardGateway is the part of Stripe that makes a subscription charge a new card.
// stripeapi.Client implements it; with a gateway without it the switch is skipped.
type CardGateway interface {
	// UseCard makes the subscription's future invoices charge paymentMethodID, reading the
	// subscription and its customer first so that a repeated call changes nothing. The
	// update is sent with idempotencyKey.
	UseCard(ctx context.Context, subscriptionID, paymentMethodID, idempotencyKey string) (CardSwitch, error)
}
