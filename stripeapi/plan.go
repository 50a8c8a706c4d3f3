package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// CreatePlanInvoice creates one part of a payment plan: a draft invoice of the customer
// (charge_automatically, auto-advancing, finalized by Stripe at FinalizesAt) and its one invoice
// item of Amount. Both requests carry idempotency keys derived from inv.IdempotencyKey, so a
// re-run creates nothing twice; an invoice left without its item by a crash between the two
// gets it on the re-run.
func (c *Client) CreatePlanInvoice(ctx context.Context, inv recoup.PlanInvoice) (string, error) {
	if inv.CustomerID == "" || inv.Amount <= 0 || inv.Currency == "" {
		return "", recoup.Errorf(recoup.EINVALID, "stripe: create plan invoice: customer, amount and currency are required")
	}
	if err := checkKey("create plan invoice", inv.IdempotencyKey+"-item"); err != nil {
		return "", err
	}
	// Stripe wants automatically_finalizes_at in the future: the caller sets a part due now a
	// little ahead.
	at := inv.FinalizesAt
	params := &stripe.InvoiceCreateParams{
		Customer:                    stripe.String(inv.CustomerID),
		Currency:                    stripe.String(inv.Currency),
		CollectionMethod:            stripe.String(string(stripe.InvoiceCollectionMethodChargeAutomatically)),
		AutoAdvance:                 stripe.Bool(true),
		AutomaticallyFinalizesAt:    stripe.Int64(at.Unix()),
		PendingInvoiceItemsBehavior: stripe.String("exclude"),
		Description:                 stripe.String(inv.Description),
		Metadata:                    inv.Metadata,
	}
	params.SetIdempotencyKey(inv.IdempotencyKey + "-invoice")
	var created *stripe.Invoice
	err := c.do(ctx, "create plan invoice", func() (err error) {
		created, err = c.sc.V1Invoices.Create(ctx, params)
		return err
	})
	if err != nil {
		return "", mapError(err, "create plan invoice for customer %s", inv.CustomerID)
	}
	item := &stripe.InvoiceItemCreateParams{
		Customer:    stripe.String(inv.CustomerID),
		Invoice:     stripe.String(created.ID),
		Amount:      stripe.Int64(inv.Amount),
		Currency:    stripe.String(inv.Currency),
		Description: stripe.String(inv.Description),
	}
	item.SetIdempotencyKey(inv.IdempotencyKey + "-item")
	err = c.do(ctx, "create plan invoice item", func() error {
		_, err := c.sc.V1InvoiceItems.Create(ctx, item)
		return err
	})
	if err != nil {
		return "", mapError(err, "add the amount to plan invoice %s", created.ID)
	}
	return created.ID, nil
}

// SettleOutOfBand marks the invoice paid outside Stripe (POST /v1/invoices/{id}/pay
// paid_out_of_band=true): a payment plan replaces it.
func (c *Client) SettleOutOfBand(ctx context.Context, invoiceID, idempotencyKey string) error {
	if invoiceID == "" {
		return recoup.Errorf(recoup.EINVALID, "stripe: settle invoice: empty id")
	}
	if err := checkKey("settle invoice "+invoiceID, idempotencyKey); err != nil {
		return err
	}
	params := &stripe.InvoicePayParams{PaidOutOfBand: stripe.Bool(true)}
	params.SetIdempotencyKey(idempotencyKey)
	err := c.do(ctx, "settle invoice", func() error {
		_, err := c.sc.V1Invoices.Pay(ctx, invoiceID, params)
		return err
	})
	if err != nil {
		return mapError(err, "settle invoice %s out of band", invoiceID)
	}
	return nil
}
