package stripeapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// maxIdempotencyKey is Stripe's limit on Idempotency-Key.
const maxIdempotencyKey = 255

func checkKey(op, key string) error {
	if key == "" {
		return recoup.Errorf(recoup.EINVALID, "stripe: %s: an idempotency key is required", op)
	}
	if len(key) > maxIdempotencyKey {
		return recoup.Errorf(recoup.EINVALID, "stripe: %s: idempotency key longer than %d bytes", op, maxIdempotencyKey)
	}
	return nil
}

// Pay charges the invoice off-session (POST /v1/invoices/{id}/pay) with req's idempotency key,
// so that a retried or repeated request is answered with the first result instead of a second
// charge. A decline is a result with a nil error. An invoice that turns out to be paid
// already (Stripe refuses to pay it again) is reported Paid after re-reading it. An error
// carries EUNAVAILABLE when the outcome is unknown (Stripe down or timing out after retries),
// ENOTFOUND when the invoice does not exist, and EINVALID for other refusals.
//
// A 2xx answer that leaves the invoice unpaid (a payment still processing, such as a bank
// debit) is returned as Paid false with no Decline; Invoice.LastPayment.Status says why.
func (c *Client) Pay(ctx context.Context, req recoup.PayRequest) (recoup.PayResult, error) {
	if req.InvoiceID == "" {
		return recoup.PayResult{}, recoup.Errorf(recoup.EINVALID, "stripe: pay invoice: empty invoice id")
	}
	if err := checkKey("pay invoice "+req.InvoiceID, req.IdempotencyKey); err != nil {
		return recoup.PayResult{}, err
	}
	params := &stripe.InvoicePayParams{OffSession: stripe.Bool(true)}
	params.SetIdempotencyKey(req.IdempotencyKey)
	if req.PaymentMethodID != "" {
		params.PaymentMethod = stripe.String(req.PaymentMethodID)
	}
	params.AddExpand("payments")
	var inv *stripe.Invoice
	err := c.do(ctx, "pay invoice", func() (err error) {
		inv, err = c.sc.V1Invoices.Pay(ctx, req.InvoiceID, params)
		return err
	})
	if err == nil {
		out := toInvoice(inv)
		// The charge is decided; failing to read its details must not turn it into an error.
		if lp, perr := c.lastPayment(ctx, inv); perr != nil {
			c.logger.WarnContext(ctx, "stripe: read payment after pay", slog.String("invoice", req.InvoiceID), slog.Any("error", perr))
		} else {
			out.LastPayment = lp
		}
		return recoup.PayResult{Paid: out.Status == recoup.InvoicePaid, Invoice: out}, nil
	}

	var se *stripe.Error
	if !errors.As(err, &se) {
		return recoup.PayResult{}, mapError(err, "pay invoice %s", req.InvoiceID)
	}
	switch {
	case isDecline(se):
		res := recoup.PayResult{Decline: declineFromError(se), Invoice: recoup.Invoice{ID: req.InvoiceID}}
		// One more read makes the result carry the invoice's new attempt count and the
		// charge's outcome type and card brand, which the error does not include.
		if cur, ierr := c.Invoice(ctx, req.InvoiceID); ierr != nil {
			c.logger.WarnContext(ctx, "stripe: read invoice after decline", slog.String("invoice", req.InvoiceID), slog.Any("error", ierr))
		} else {
			res.Invoice = cur
			if cur.LastPayment != nil {
				mergeDecline(res.Decline, cur.LastPayment.Decline)
			}
		}
		c.logger.InfoContext(ctx, "stripe: charge declined", slog.String("invoice", req.InvoiceID),
			slog.String("code", res.Decline.Code), slog.String("decline_code", res.Decline.DeclineCode))
		return res, nil
	case se.Type == stripe.ErrorTypeInvalidRequest && se.HTTPStatusCode == http.StatusBadRequest:
		// Stripe refuses to pay an invoice that is paid already (by an earlier attempt whose
		// answer was lost, by the customer, or by Stripe's own retry). Re-read the invoice
		// rather than parse the message.
		if cur, ierr := c.Invoice(ctx, req.InvoiceID); ierr == nil && cur.Status == recoup.InvoicePaid {
			return recoup.PayResult{Paid: true, Invoice: cur}, nil
		}
	}
	return recoup.PayResult{}, mapError(err, "pay invoice %s", req.InvoiceID)
}

// CancelSubscription cancels the subscription now (DELETE /v1/subscriptions/{id}). Cancelling
// a subscription that is already cancelled succeeds: Stripe answers "no such subscription"
// for it, so a refusal is checked against the subscription's current status.
func (c *Client) CancelSubscription(ctx context.Context, subscriptionID, idempotencyKey string) error {
	if subscriptionID == "" {
		return recoup.Errorf(recoup.EINVALID, "stripe: cancel subscription: empty id")
	}
	if err := checkKey("cancel subscription "+subscriptionID, idempotencyKey); err != nil {
		return err
	}
	params := &stripe.SubscriptionCancelParams{}
	params.SetIdempotencyKey(idempotencyKey)
	err := c.do(ctx, "cancel subscription", func() error {
		_, err := c.sc.V1Subscriptions.Cancel(ctx, subscriptionID, params)
		return err
	})
	if err == nil {
		return nil
	}
	if isInvalidRequest(err) {
		var sub *stripe.Subscription
		gerr := c.do(ctx, "get subscription", func() (err error) {
			sub, err = c.sc.V1Subscriptions.Retrieve(ctx, subscriptionID, nil)
			return err
		})
		if gerr == nil && (sub.Status == stripe.SubscriptionStatusCanceled || sub.Status == stripe.SubscriptionStatusIncompleteExpired) {
			return nil
		}
	}
	return mapError(err, "cancel subscription %s", subscriptionID)
}

// MarkUncollectible writes the invoice off (POST /v1/invoices/{id}/mark_uncollectible). An
// invoice already uncollectible is a success.
func (c *Client) MarkUncollectible(ctx context.Context, invoiceID, idempotencyKey string) error {
	if invoiceID == "" {
		return recoup.Errorf(recoup.EINVALID, "stripe: mark invoice uncollectible: empty id")
	}
	if err := checkKey("mark invoice uncollectible "+invoiceID, idempotencyKey); err != nil {
		return err
	}
	params := &stripe.InvoiceMarkUncollectibleParams{}
	params.SetIdempotencyKey(idempotencyKey)
	err := c.do(ctx, "mark invoice uncollectible", func() error {
		_, err := c.sc.V1Invoices.MarkUncollectible(ctx, invoiceID, params)
		return err
	})
	if err == nil {
		return nil
	}
	if isInvalidRequest(err) {
		if inv, gerr := c.getInvoice(ctx, invoiceID); gerr == nil && inv.Status == stripe.InvoiceStatusUncollectible {
			return nil
		}
	}
	return mapError(err, "mark invoice %s uncollectible", invoiceID)
}

// CancelAtPeriodEnd lets the subscription end with its paid period (POST
// /v1/subscriptions/{id} cancel_at_period_end=true): the customer keeps what they paid for and
// is not billed again.
func (c *Client) CancelAtPeriodEnd(ctx context.Context, subscriptionID, idempotencyKey string) error {
	params := &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true)}
	return c.updateSubscription(ctx, "cancel subscription at period end", subscriptionID, idempotencyKey, params)
}

// PauseCollection keeps the subscription but stops collecting payment on it (POST
// /v1/subscriptions/{id} pause_collection[behavior]=void: invoices made while paused are
// voided), until the merchant resumes it.
func (c *Client) PauseCollection(ctx context.Context, subscriptionID, idempotencyKey string) error {
	params := &stripe.SubscriptionUpdateParams{PauseCollection: &stripe.SubscriptionUpdatePauseCollectionParams{Behavior: stripe.String("void")}}
	return c.updateSubscription(ctx, "pause subscription collection", subscriptionID, idempotencyKey, params)
}

func (c *Client) updateSubscription(ctx context.Context, op, subscriptionID, idempotencyKey string, params *stripe.SubscriptionUpdateParams) error {
	if subscriptionID == "" {
		return recoup.Errorf(recoup.EINVALID, "stripe: %s: empty id", op)
	}
	if err := checkKey(op+" "+subscriptionID, idempotencyKey); err != nil {
		return err
	}
	params.SetIdempotencyKey(idempotencyKey)
	err := c.do(ctx, op, func() error {
		_, err := c.sc.V1Subscriptions.Update(ctx, subscriptionID, params)
		return err
	})
	if err != nil {
		return mapError(err, "%s %s", op, subscriptionID)
	}
	return nil
}
