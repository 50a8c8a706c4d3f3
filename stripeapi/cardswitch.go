package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// UseCard makes the subscription charge paymentMethodID from its next invoice on: GET
// /v1/subscriptions/{id} with its customer expanded, then, unless it already charges the card,
// POST /v1/subscriptions/{id} default_payment_method. When the card is the customer's invoice
// default (the Billing Portal's update) the subscription's own default is cleared rather than
// pinned to the card, so that the customer's next change in the portal applies too.
func (c *Client) UseCard(ctx context.Context, subscriptionID, paymentMethodID, idempotencyKey string) (recoup.CardSwitch, error) {
	if subscriptionID == "" || paymentMethodID == "" {
		return "", recoup.Errorf(recoup.EINVALID, "stripe: use card: empty subscription (%q) or payment method (%q)", subscriptionID, paymentMethodID)
	}
	if err := checkKey("use card on "+subscriptionID, idempotencyKey); err != nil {
		return "", err
	}
	params := &stripe.SubscriptionRetrieveParams{}
	params.AddExpand("customer")
	var sub *stripe.Subscription
	err := c.do(ctx, "get subscription", func() (err error) {
		sub, err = c.sc.V1Subscriptions.Retrieve(ctx, subscriptionID, params)
		return err
	})
	if err != nil {
		return "", mapError(err, "get subscription %s", subscriptionID)
	}
	switch sub.Status {
	case stripe.SubscriptionStatusCanceled, stripe.SubscriptionStatusIncompleteExpired:
		return recoup.CardSubscriptionEnded, nil
	}
	own := ""
	if sub.DefaultPaymentMethod != nil {
		own = sub.DefaultPaymentMethod.ID
	}
	customerDefault := ""
	if cus := sub.Customer; cus != nil && cus.InvoiceSettings != nil && cus.InvoiceSettings.DefaultPaymentMethod != nil {
		customerDefault = cus.InvoiceSettings.DefaultPaymentMethod.ID
	}
	var to string
	var done recoup.CardSwitch
	switch {
	case own == paymentMethodID, own == "" && customerDefault == paymentMethodID:
		return recoup.CardAlreadyCharged, nil
	case customerDefault == paymentMethodID:
		to, done = "", recoup.CardDefaultCleared
	default:
		to, done = paymentMethodID, recoup.CardDefaultSet
	}
	// An empty string is sent as "default_payment_method=", which Stripe reads as unset.
	update := &stripe.SubscriptionUpdateParams{DefaultPaymentMethod: stripe.String(to)}
	if err := c.updateSubscription(ctx, "set subscription payment method", subscriptionID, idempotencyKey, update); err != nil {
		return "", err
	}
	return done, nil
}

var _ recoup.CardGateway = (*Client)(nil)
