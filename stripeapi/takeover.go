package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

var _ recoup.TakeoverGateway = (*Client)(nil)

// SetAutoAdvance turns Stripe's automatic collection of one invoice off or on (POST
// /v1/invoices/{id} auto_advance): off, Stripe stops retrying it, reminding the customer and
// running automations on it; on, it gives the invoice back to Stripe.
//
// Stripe changes auto_advance only on draft and open invoices. Its refusal for the others is
// not documented word for word, so it is recognised by re-reading the invoice rather than by
// the message: a 400 on an invoice that is paid, void or uncollectible is ECONFLICT (the
// invoice ended meanwhile; the caller re-reads its case), any other refusal EINVALID.
func (c *Client) SetAutoAdvance(ctx context.Context, invoiceID string, on bool, idempotencyKey string) error {
	if invoiceID == "" {
		return recoup.Errorf(recoup.EINVALID, "stripe: set auto_advance: empty invoice id")
	}
	if err := checkKey("set auto_advance "+invoiceID, idempotencyKey); err != nil {
		return err
	}
	params := &stripe.InvoiceUpdateParams{AutoAdvance: stripe.Bool(on)}
	params.SetIdempotencyKey(idempotencyKey)
	err := c.do(ctx, "set auto_advance", func() error {
		_, err := c.sc.V1Invoices.Update(ctx, invoiceID, params)
		return err
	})
	if err == nil {
		return nil
	}
	if errorCode(err) == recoup.EINVALID && isInvalidRequest(err) {
		var inv *stripe.Invoice
		rerr := c.do(ctx, "get invoice", func() (err error) {
			inv, err = c.sc.V1Invoices.Retrieve(ctx, invoiceID, nil)
			return err
		})
		if rerr == nil {
			switch inv.Status {
			case stripe.InvoiceStatusPaid, stripe.InvoiceStatusVoid, stripe.InvoiceStatusUncollectible:
				return &recoup.Error{Code: recoup.ECONFLICT, Err: err,
					Message: "stripe: set auto_advance on invoice " + invoiceID + ": the invoice is " + string(inv.Status) +
						", and Stripe changes automatic collection only on a draft or open invoice"}
			}
		}
	}
	return mapError(err, "set auto_advance %v on invoice %s", on, invoiceID)
}
