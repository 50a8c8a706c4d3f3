package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// The metadata that marks a payment plan's part: the invoice it replaces, and "n/of".
const (
	metaPlanOf   = "recoup_plan_of"
	metaPlanPart = "recoup_plan_part"
)

// CreatePlanInvoice creates one part of a payment plan: a draft invoice of the customer
// (charge_automatically, auto_advance false, so Stripe neither finalizes nor charges it until
// SchedulePlanInvoice turns it on) and its one invoice item of Amount. Both requests carry
// idempotency keys derived from inv.IdempotencyKey, so a re-run creates nothing twice within
// Stripe's 24 hours; past them the caller finds the parts by their metadata (PlanParts) and
// passes a draft left without its item as inv.InvoiceID.
func (c *Client) CreatePlanInvoice(ctx context.Context, inv recoup.PlanInvoice) (string, error) {
	if inv.CustomerID == "" || inv.Amount <= 0 || inv.Currency == "" {
		return "", recoup.Errorf(recoup.EINVALID, "stripe: create plan invoice: customer, amount and currency are required")
	}
	if err := checkKey("create plan invoice", inv.IdempotencyKey+"-invoice"); err != nil {
		return "", err
	}
	id := inv.InvoiceID
	if id == "" {
		params := &stripe.InvoiceCreateParams{
			Customer:                    stripe.String(inv.CustomerID),
			Currency:                    stripe.String(inv.Currency),
			CollectionMethod:            stripe.String(string(stripe.InvoiceCollectionMethodChargeAutomatically)),
			AutoAdvance:                 stripe.Bool(false),
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
		id = created.ID
	}
	item := &stripe.InvoiceItemCreateParams{
		Customer:    stripe.String(inv.CustomerID),
		Invoice:     stripe.String(id),
		Amount:      stripe.Int64(inv.Amount),
		Currency:    stripe.String(inv.Currency),
		Description: stripe.String(inv.Description),
	}
	item.SetIdempotencyKey(inv.IdempotencyKey + "-item")
	err := c.do(ctx, "create plan invoice item", func() error {
		_, err := c.sc.V1InvoiceItems.Create(ctx, item)
		return err
	})
	if err != nil {
		return id, mapError(err, "add the amount to plan invoice %s", id)
	}
	return id, nil
}

// PlanParts lists the customer's invoices created since since (GET /v1/invoices, every
// status, newest first) and keeps those whose metadata names them parts of the plan replacing
// invoiceID. The listing is strongly consistent, unlike the search API, so a part created a
// moment ago is found.
func (c *Client) PlanParts(ctx context.Context, customerID, invoiceID string, since time.Time) ([]recoup.PlanPart, error) {
	if customerID == "" || invoiceID == "" {
		return nil, recoup.Errorf(recoup.EINVALID, "stripe: list plan invoices: customer and invoice are required")
	}
	var parts []recoup.PlanPart
	list := func(after *string) *listPage[*stripe.Invoice] {
		return c.sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{
			ListParams:   stripe.ListParams{Limit: stripe.Int64(c.pageSize), Single: true, StartingAfter: after},
			Customer:     stripe.String(customerID),
			CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()},
		})
	}
	err := pages(ctx, c, "list plan invoices", "", list, idOfInvoice, func(data []*stripe.Invoice) bool {
		for _, in := range data {
			if in.Metadata[metaPlanOf] != invoiceID {
				continue
			}
			p := recoup.PlanPart{ID: in.ID, Amount: in.AmountDue, Currency: string(in.Currency), Status: recoup.InvoiceStatus(in.Status),
				AutoAdvance: in.AutoAdvance, Created: unixTime(in.Created)}
			if _, err := fmt.Sscanf(in.Metadata[metaPlanPart], "%d/%d", &p.N, &p.Of); err != nil {
				p.N, p.Of = 0, 0 // not recoup's numbering: a part to remove
			}
			parts = append(parts, p)
		}
		return true
	})
	if err != nil {
		return nil, mapError(err, "list the plan invoices of %s", invoiceID)
	}
	return parts, nil
}

// SettleOutOfBand marks the invoice paid outside Stripe (POST /v1/invoices/{id}/pay
// paid_out_of_band=true): a payment plan replaces it. Stripe refuses an invoice that is paid
// already ("Invoice is already paid", 400) or void: EINVALID, which the caller checks against
// the invoice.
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

// SchedulePlanInvoice turns a part on (POST /v1/invoices/{id} auto_advance=true,
// automatically_finalizes_at): Stripe finalizes the draft at at and charges it like any
// invoice charged automatically. at must be in the future.
func (c *Client) SchedulePlanInvoice(ctx context.Context, invoiceID string, at time.Time, idempotencyKey string) error {
	if invoiceID == "" {
		return recoup.Errorf(recoup.EINVALID, "stripe: schedule plan invoice: empty id")
	}
	if err := checkKey("schedule plan invoice "+invoiceID, idempotencyKey); err != nil {
		return err
	}
	params := &stripe.InvoiceUpdateParams{AutoAdvance: stripe.Bool(true), AutomaticallyFinalizesAt: stripe.Int64(at.Unix())}
	params.SetIdempotencyKey(idempotencyKey)
	err := c.do(ctx, "schedule plan invoice", func() error {
		_, err := c.sc.V1Invoices.Update(ctx, invoiceID, params)
		return err
	})
	if err != nil {
		return mapError(err, "schedule plan invoice %s", invoiceID)
	}
	return nil
}

// CancelPlanInvoice removes a part of a plan given up: a draft is deleted (DELETE
// /v1/invoices/{id}; Stripe voids only finalized invoices), an open or uncollectible one is
// voided (POST /v1/invoices/{id}/void). A part already deleted or void is a success; a paid
// one is refused (EINVALID): its charge cannot be undone here.
func (c *Client) CancelPlanInvoice(ctx context.Context, invoiceID, idempotencyKey string) error {
	if invoiceID == "" {
		return recoup.Errorf(recoup.EINVALID, "stripe: cancel plan invoice: empty id")
	}
	if err := checkKey("cancel plan invoice "+invoiceID, idempotencyKey); err != nil {
		return err
	}
	var inv *stripe.Invoice
	err := c.do(ctx, "get plan invoice", func() (err error) {
		inv, err = c.sc.V1Invoices.Retrieve(ctx, invoiceID, nil)
		return err
	})
	switch {
	case isNotFound(err):
		return nil // deleted already
	case err != nil:
		return mapError(err, "get plan invoice %s", invoiceID)
	}
	switch inv.Status {
	case stripe.InvoiceStatusVoid:
		return nil
	case stripe.InvoiceStatusPaid:
		return recoup.Errorf(recoup.EINVALID, "stripe: plan invoice %s is paid already", invoiceID)
	case stripe.InvoiceStatusDraft:
		err = c.do(ctx, "delete plan invoice", func() error {
			_, err := c.sc.V1Invoices.Delete(ctx, invoiceID, nil)
			return err
		})
		if err != nil && !isNotFound(err) {
			return mapError(err, "delete plan invoice %s", invoiceID)
		}
		return nil
	}
	params := &stripe.InvoiceVoidInvoiceParams{}
	params.SetIdempotencyKey(idempotencyKey)
	err = c.do(ctx, "void plan invoice", func() error {
		_, err := c.sc.V1Invoices.VoidInvoice(ctx, invoiceID, params)
		return err
	})
	if err != nil {
		return mapError(err, "void plan invoice %s", invoiceID)
	}
	return nil
}

// isNotFound reports whether Stripe answered 404: the object does not exist (any more).
func isNotFound(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound
}
