package stripeapi

import (
	"context"
	"iter"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// Reading the account's history: every charge and every invoice since a time, for the history
// import. Both listings stream page by page, newest first as Stripe lists them, under the
// client's rate limit and retries, and are resumable: each item's ID is a cursor, and a listing
// started with startingAfter set to the last item a caller finished picks up after it. Because
// Stripe lists newest first, objects created while a listing runs come before the cursor and
// are not in it: a resumed listing neither repeats nor misses what the first one would have read.

// Charges yields the account's charges created at or after since (every charge when since is
// zero), newest first, after the charge startingAfter ("" starts at the newest). A listing
// failure is yielded once as the error and ends the sequence; an unknown startingAfter is
// EINVALID, as Stripe answers it.
//
// In the pinned API version a charge no longer names its invoice: join it through
// HistoricalInvoice.PaymentIntentIDs (or ChargeIDs for a bare charge).
func (c *Client) Charges(ctx context.Context, since time.Time, startingAfter string) iter.Seq2[recoup.HistoricalCharge, error] {
	return func(yield func(recoup.HistoricalCharge, error) bool) {
		list := func(after *string) *listPage[*stripe.Charge] {
			params := &stripe.ChargeListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(c.pageSize), Single: true, StartingAfter: after}}
			if !since.IsZero() {
				params.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
			}
			return c.sc.V1Charges.List(ctx, params)
		}
		err := pages(ctx, c, "list charges", startingAfter, list, func(ch *stripe.Charge) string { return ch.ID },
			func(data []*stripe.Charge) bool {
				for _, ch := range data {
					if !yield(historicalCharge(ch), nil) {
						return false
					}
				}
				return true
			})
		if err != nil {
			yield(recoup.HistoricalCharge{}, mapError(err, "list charges"))
		}
	}
}

// historicalCharge copies what the history import reads of a charge.
func historicalCharge(ch *stripe.Charge) recoup.HistoricalCharge {
	out := recoup.HistoricalCharge{
		ID: ch.ID, Created: unixTime(ch.Created), Amount: ch.Amount, Currency: string(ch.Currency),
		Status: string(ch.Status), PaymentMethodID: ch.PaymentMethod,
	}
	if ch.Customer != nil {
		out.CustomerID = ch.Customer.ID
	}
	if ch.PaymentIntent != nil {
		out.PaymentIntentID = ch.PaymentIntent.ID
	}
	if pmd := ch.PaymentMethodDetails; pmd != nil && pmd.Card != nil {
		out.CardBrand, out.CardFunding, out.CardCountry = string(pmd.Card.Brand), string(pmd.Card.Funding), pmd.Card.Country
	}
	if ch.Status == stripe.ChargeStatusFailed {
		out.Decline = declineFromCharge(ch)
		out.Decline.CardFunding, out.Decline.CardCountry = out.CardFunding, out.CardCountry
	}
	return out
}

// declineFromCharge reads a failed charge's decline from the charge alone. A charge has no
// decline_code: for an issuer decline Stripe puts the issuer's code in outcome.reason; for a
// block (Stripe's or Radar's) the reason is Stripe's own and there is no decline code.
func declineFromCharge(ch *stripe.Charge) *recoup.Decline {
	d := &recoup.Decline{}
	mergeCharge(d, ch)
	if o := ch.Outcome; o != nil && o.Type == "issuer_declined" {
		d.DeclineCode = o.Reason
	}
	return d
}

// Invoices yields the account's invoices created at or after since (every invoice when since
// is zero), newest first, after the invoice startingAfter ("" starts at the newest), each
// with its status, how it ended and its payments' PaymentIntents. Errors as for Charges.
func (c *Client) Invoices(ctx context.Context, since time.Time, startingAfter string) iter.Seq2[recoup.HistoricalInvoice, error] {
	return func(yield func(recoup.HistoricalInvoice, error) bool) {
		list := func(after *string) *listPage[*stripe.Invoice] {
			params := &stripe.InvoiceListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(c.pageSize), Single: true, StartingAfter: after}}
			if !since.IsZero() {
				params.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
			}
			params.AddExpand("data.payments")
			return c.sc.V1Invoices.List(ctx, params)
		}
		err := pages(ctx, c, "list invoices", startingAfter, list, idOfInvoice, func(data []*stripe.Invoice) bool {
			for _, inv := range data {
				out, err := c.historicalInvoice(ctx, inv)
				if !yield(out, err) || err != nil {
					return false
				}
			}
			return true
		})
		if err != nil {
			yield(recoup.HistoricalInvoice{}, mapError(err, "list invoices"))
		}
	}
}

// historicalInvoice copies what the history import reads of an invoice. An invoice includes
// its first payments only (the list says has_more beyond): the rest are read from
// GET /v1/invoice_payments.
func (c *Client) historicalInvoice(ctx context.Context, inv *stripe.Invoice) (recoup.HistoricalInvoice, error) {
	out := recoup.HistoricalInvoice{
		ID: inv.ID, Created: unixTime(inv.Created), Status: recoup.InvoiceStatus(inv.Status),
		Currency: string(inv.Currency), AmountDue: inv.AmountDue, AmountPaid: inv.AmountPaid,
		AttemptCount: int(inv.AttemptCount), BillingReason: string(inv.BillingReason),
		CollectionMethod: string(inv.CollectionMethod), PaidOutOfBand: inv.AmountPaidOffStripe > 0,
	}
	if inv.Customer != nil {
		out.CustomerID = inv.Customer.ID
	}
	if p := inv.Parent; p != nil && p.SubscriptionDetails != nil && p.SubscriptionDetails.Subscription != nil {
		out.SubscriptionID = p.SubscriptionDetails.Subscription.ID
	}
	if st := inv.StatusTransitions; st != nil {
		out.PaidAt, out.VoidedAt = unixTime(st.PaidAt), unixTime(st.VoidedAt)
		out.MarkedUncollectibleAt = unixTime(st.MarkedUncollectibleAt)
	}
	payments := inv.Payments
	if payments != nil && payments.HasMore {
		all, err := c.invoicePayments(ctx, inv.ID)
		if err != nil {
			return out, err
		}
		payments = &stripe.InvoicePaymentList{Data: all}
	}
	if payments != nil {
		// Stripe lists payments newest first; the history reads oldest first.
		for i := len(payments.Data) - 1; i >= 0; i-- {
			ip := payments.Data[i]
			if ip == nil || ip.Payment == nil {
				continue
			}
			switch {
			case ip.Payment.PaymentIntent != nil && ip.Payment.PaymentIntent.ID != "":
				out.PaymentIntentIDs = append(out.PaymentIntentIDs, ip.Payment.PaymentIntent.ID)
			case ip.Payment.Charge != nil && ip.Payment.Charge.ID != "":
				out.ChargeIDs = append(out.ChargeIDs, ip.Payment.Charge.ID)
			}
		}
	}
	return out, nil
}

// invoicePayments reads every payment of the invoice, newest first.
func (c *Client) invoicePayments(ctx context.Context, invoiceID string) ([]*stripe.InvoicePayment, error) {
	var out []*stripe.InvoicePayment
	list := func(after *string) *listPage[*stripe.InvoicePayment] {
		return c.sc.V1InvoicePayments.List(ctx, &stripe.InvoicePaymentListParams{
			ListParams: stripe.ListParams{Limit: stripe.Int64(c.pageSize), Single: true, StartingAfter: after},
			Invoice:    stripe.String(invoiceID),
		})
	}
	err := pages(ctx, c, "list invoice payments", "", list, func(p *stripe.InvoicePayment) string { return p.ID },
		func(data []*stripe.InvoicePayment) bool {
			out = append(out, data...)
			return true
		})
	if err != nil {
		return nil, paymentError(mapError(err, "list payments of invoice %s", invoiceID))
	}
	return out, nil
}

var _ recoup.HistorySource = (*Client)(nil)
