package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// Renewals lists the customer's subscriptions that will renew (active or trialing, not set to
// cancel at the period's end) with the card each renewal charges and when that card expires,
// for pre-dunning: GET /v1/subscriptions?customer=...&expand[]=data.default_payment_method, and
// the customer with its invoice default payment method when a subscription has no default of
// its own.
func (c *Client) Renewals(ctx context.Context, customerID string) ([]recoup.Renewal, error) {
	if customerID == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "stripe: renewals: empty customer id")
	}
	var subs []*stripe.Subscription
	list := func(after *string) *listPage[*stripe.Subscription] {
		params := &stripe.SubscriptionListParams{Customer: stripe.String(customerID),
			ListParams: stripe.ListParams{Limit: stripe.Int64(c.pageSize), Single: true, StartingAfter: after}}
		params.AddExpand("data.default_payment_method")
		return c.sc.V1Subscriptions.List(ctx, params)
	}
	err := pages(ctx, c, "list subscriptions", "", list, func(s *stripe.Subscription) string { return s.ID },
		func(data []*stripe.Subscription) bool {
			subs = append(subs, data...)
			return true
		})
	if err != nil {
		return nil, mapError(err, "list subscriptions of %s", customerID)
	}
	var fallback *stripe.PaymentMethod
	read := false
	out := []recoup.Renewal{}
	for _, s := range subs {
		if (s.Status != stripe.SubscriptionStatusActive && s.Status != stripe.SubscriptionStatusTrialing) || s.CancelAtPeriodEnd || s.Items == nil {
			continue
		}
		r := recoup.Renewal{CustomerID: customerID, SubscriptionID: s.ID}
		for _, it := range s.Items.Data {
			if end := unixTime(it.CurrentPeriodEnd); end.After(r.RenewsAt) {
				r.RenewsAt = end
			}
			if it.Price != nil {
				r.Amount.Currency = string(it.Price.Currency)
				r.Amount.Amount += it.Price.UnitAmount * max(it.Quantity, 1)
			}
		}
		if r.RenewsAt.IsZero() {
			continue
		}
		pm := s.DefaultPaymentMethod
		if pm == nil || pm.ID == "" {
			if !read {
				var err error
				if fallback, err = c.invoiceDefault(ctx, customerID); err != nil {
					return nil, err
				}
				read = true
			}
			pm = fallback
		}
		if pm != nil {
			r.PaymentMethodID = pm.ID
			if pm.Card != nil {
				r.CardExpiresAt = recoup.CardExpiry(int(pm.Card.ExpMonth), int(pm.Card.ExpYear))
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// invoiceDefault reads the customer's invoice_settings.default_payment_method, expanded; nil
// when there is none.
func (c *Client) invoiceDefault(ctx context.Context, customerID string) (*stripe.PaymentMethod, error) {
	params := &stripe.CustomerRetrieveParams{}
	params.AddExpand("invoice_settings.default_payment_method")
	var cus *stripe.Customer
	err := c.do(ctx, "get customer", func() (err error) {
		cus, err = c.sc.V1Customers.Retrieve(ctx, customerID, params)
		return err
	})
	if err != nil {
		return nil, mapError(err, "get customer %s", customerID)
	}
	if cus.Deleted || cus.InvoiceSettings == nil {
		return nil, nil
	}
	return cus.InvoiceSettings.DefaultPaymentMethod, nil
}
