package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// Invoice returns the invoice as Stripe shows it now, with its latest payment attempt. Since
// API 2025-03-31 an invoice no longer names its PaymentIntent: the attempt is found through
// the invoice's payments (expanded here, one level deep) and read with a second request that
// expands the PaymentIntent's latest charge, for the outcome and the card brand.
func (c *Client) Invoice(ctx context.Context, id string) (recoup.Invoice, error) {
	if id == "" {
		return recoup.Invoice{}, recoup.Errorf(recoup.EINVALID, "stripe: get invoice: empty id")
	}
	inv, err := c.getInvoice(ctx, id)
	if err != nil {
		return recoup.Invoice{}, mapError(err, "get invoice %s", id)
	}
	out := toInvoice(inv)
	if out.LastPayment, err = c.lastPayment(ctx, inv); err != nil {
		return recoup.Invoice{}, err
	}
	return out, nil
}

// getInvoice reads an invoice with its payments included, and its customer and subscription
// expanded for the facts policy segments read (metadata, tenure, billing interval, prices).
func (c *Client) getInvoice(ctx context.Context, id string) (*stripe.Invoice, error) {
	params := &stripe.InvoiceRetrieveParams{}
	params.AddExpand("payments")
	params.AddExpand("customer")
	params.AddExpand("parent.subscription_details.subscription")
	var inv *stripe.Invoice
	err := c.do(ctx, "get invoice", func() (err error) {
		inv, err = c.sc.V1Invoices.Retrieve(ctx, id, params)
		return err
	})
	return inv, err
}

// toInvoice copies the fields recoup uses. LastPayment is left to lastPayment.
func toInvoice(in *stripe.Invoice) recoup.Invoice {
	out := recoup.Invoice{
		ID:                 in.ID,
		CustomerEmail:      in.CustomerEmail,
		CustomerName:       in.CustomerName,
		Status:             recoup.InvoiceStatus(in.Status),
		AmountDue:          in.AmountDue,
		AmountPaid:         in.AmountPaid,
		AmountRemaining:    in.AmountRemaining,
		Currency:           string(in.Currency),
		AttemptCount:       int(in.AttemptCount),
		Attempted:          in.Attempted,
		CollectionMethod:   string(in.CollectionMethod),
		DueDate:            unixTime(in.DueDate),
		BillingReason:      string(in.BillingReason),
		PaidOutOfBand:      in.AmountPaidOffStripe > 0,
		AutoAdvance:        in.AutoAdvance,
		Created:            unixTime(in.Created),
		NextPaymentAttempt: unixTime(in.NextPaymentAttempt),
	}
	var facts recoup.InvoiceFacts
	if in.Customer != nil {
		out.CustomerID = in.Customer.ID
		facts.CustomerMetadata = in.Customer.Metadata
		facts.CustomerCreated = unixTime(in.Customer.Created)
		if in.Customer.Address != nil {
			out.CustomerCountry, out.CustomerRegion = in.Customer.Address.Country, in.Customer.Address.State
		}
	}
	if in.CustomerAddress != nil && in.CustomerAddress.Country != "" {
		out.CustomerCountry, out.CustomerRegion = in.CustomerAddress.Country, in.CustomerAddress.State
	}
	if p := in.Parent; p != nil && p.SubscriptionDetails != nil {
		facts.SubscriptionMetadata = p.SubscriptionDetails.Metadata
		if sub := p.SubscriptionDetails.Subscription; sub != nil {
			out.SubscriptionID = sub.ID
			subscriptionFacts(&facts, sub)
		}
	}
	if facts.CustomerMetadata != nil || !facts.CustomerCreated.IsZero() || facts.SubscriptionStatus != "" || facts.SubscriptionMetadata != nil {
		out.Facts = &facts
	}
	if in.StatusTransitions != nil {
		out.PaidAt = unixTime(in.StatusTransitions.PaidAt)
	}
	return out
}

// subscriptionFacts copies what an expanded subscription says about its plan: status, metadata,
// prices and products, and the billing interval of its first recurring price.
func subscriptionFacts(out *recoup.InvoiceFacts, sub *stripe.Subscription) {
	out.SubscriptionStatus = string(sub.Status)
	if len(sub.Metadata) > 0 {
		out.SubscriptionMetadata = sub.Metadata
	}
	if sub.Items == nil {
		return
	}
	for _, it := range sub.Items.Data {
		if it == nil || it.Price == nil {
			continue
		}
		out.PriceIDs = append(out.PriceIDs, it.Price.ID)
		if it.Price.Product != nil && it.Price.Product.ID != "" {
			out.ProductIDs = append(out.ProductIDs, it.Price.Product.ID)
		}
		if r := it.Price.Recurring; r != nil && out.Interval == "" {
			out.Interval, out.IntervalCount = string(r.Interval), int(r.IntervalCount)
		}
	}
}

// latestInvoicePayment picks the newest charge attempt among the invoice's payments, preferring
// the default one (the PaymentIntent the invoice itself created) among equals. A payment made
// outside Stripe's charge (a partial payment recorded as a payment_record) is not an attempt:
// it would hide the decline recoup is recovering. nil if the invoice has none or its payments
// were not included.
func latestInvoicePayment(list *stripe.InvoicePaymentList) *stripe.InvoicePayment {
	if list == nil {
		return nil
	}
	var best *stripe.InvoicePayment
	for _, ip := range list.Data {
		if ip == nil || ip.Payment == nil || (ip.Payment.PaymentIntent == nil || ip.Payment.PaymentIntent.ID == "") &&
			(ip.Payment.Charge == nil || ip.Payment.Charge.ID == "") {
			continue
		}
		if best == nil || ip.Created > best.Created || (ip.Created == best.Created && ip.IsDefault && !best.IsDefault) {
			best = ip
		}
	}
	return best
}

// lastPayment reads the invoice's latest payment attempt: its PaymentIntent with the latest
// charge, or for older invoices paid by a bare charge, that charge. It returns nil when the
// invoice has no payment yet.
func (c *Client) lastPayment(ctx context.Context, inv *stripe.Invoice) (*recoup.Payment, error) {
	ip := latestInvoicePayment(inv.Payments)
	switch {
	case ip == nil:
		return nil, nil
	case ip.Payment.PaymentIntent != nil && ip.Payment.PaymentIntent.ID != "":
		id := ip.Payment.PaymentIntent.ID
		params := &stripe.PaymentIntentRetrieveParams{}
		params.AddExpand("latest_charge")
		var pi *stripe.PaymentIntent
		err := c.do(ctx, "get payment intent", func() (err error) {
			pi, err = c.sc.V1PaymentIntents.Retrieve(ctx, id, params)
			return err
		})
		if err != nil {
			return nil, paymentError(mapError(err, "get payment intent %s of invoice %s", id, inv.ID))
		}
		return paymentFromIntent(pi), nil
	case ip.Payment.Charge != nil && ip.Payment.Charge.ID != "":
		id := ip.Payment.Charge.ID
		var ch *stripe.Charge
		err := c.do(ctx, "get charge", func() (err error) {
			ch, err = c.sc.V1Charges.Retrieve(ctx, id, nil)
			return err
		})
		if err != nil {
			return nil, paymentError(mapError(err, "get charge %s of invoice %s", id, inv.ID))
		}
		return paymentFromCharge(ch), nil
	}
	return nil, nil
}

// paymentError keeps a failure to read an invoice's payment from looking like the invoice
// itself is missing.
func paymentError(err error) error {
	if e, ok := err.(*recoup.Error); ok && e.Code == recoup.ENOTFOUND {
		e.Code = recoup.EINTERNAL
	}
	return err
}

// paymentFromIntent describes a PaymentIntent's latest attempt. After a failure Stripe clears
// the intent's payment_method and keeps the failed one on last_payment_error, and it clears
// last_payment_error again on success.
func paymentFromIntent(pi *stripe.PaymentIntent) *recoup.Payment {
	p := &recoup.Payment{PaymentIntentID: pi.ID, Status: string(pi.Status), At: unixTime(pi.Created)}
	if pi.PaymentMethod != nil {
		p.PaymentMethodID = pi.PaymentMethod.ID
	}
	ch := pi.LatestCharge
	if ch != nil && ch.Created == 0 {
		ch = nil // not expanded: only the id is known
	}
	if ch != nil {
		p.At = unixTime(ch.Created)
	}
	switch {
	case pi.LastPaymentError != nil:
		p.Decline = declineFromError(pi.LastPaymentError)
		if pm := pi.LastPaymentError.PaymentMethod; p.PaymentMethodID == "" && pm != nil {
			p.PaymentMethodID = pm.ID
		}
		mergeCharge(p.Decline, ch)
	case ch != nil && ch.Status == stripe.ChargeStatusFailed:
		p.Decline = &recoup.Decline{}
		mergeCharge(p.Decline, ch)
	}
	if p.PaymentMethodID == "" && ch != nil {
		p.PaymentMethodID = ch.PaymentMethod
	}
	return p
}

// paymentFromCharge describes a payment made by a bare charge (invoices paid before
// PaymentIntents, or through the legacy charges API).
func paymentFromCharge(ch *stripe.Charge) *recoup.Payment {
	p := &recoup.Payment{PaymentMethodID: ch.PaymentMethod, Status: string(ch.Status), At: unixTime(ch.Created)}
	if ch.PaymentIntent != nil {
		p.PaymentIntentID = ch.PaymentIntent.ID
	}
	if ch.Status == stripe.ChargeStatusFailed {
		p.Decline = declineFromCharge(ch)
	}
	return p
}
