package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// The pages a customer is sent to from a message's card update link.

// PaymentUpdateURL creates a Billing Portal session that opens straight on updating the
// customer's payment method (flow_data.type payment_method_update) and returns its URL, which
// is short-lived and single-use: it is created when the customer clicks, never put in a
// message. After the update the portal returns to returnURL. A retried request may create a
// second session; an unused session simply expires.
func (c *Client) PaymentUpdateURL(ctx context.Context, customerID, returnURL string) (string, error) {
	if customerID == "" {
		return "", recoup.Errorf(recoup.EINVALID, "stripe: portal session: empty customer id")
	}
	params := &stripe.BillingPortalSessionCreateParams{
		Customer: stripe.String(customerID),
		FlowData: &stripe.BillingPortalSessionCreateFlowDataParams{Type: stripe.String("payment_method_update")},
	}
	return c.portalSession(ctx, params, returnURL, "portal session for customer "+customerID)
}

// portalSession creates the Billing Portal session of params, returning to returnURL when set,
// and returns its URL; what names the session in errors.
func (c *Client) portalSession(ctx context.Context, params *stripe.BillingPortalSessionCreateParams, returnURL, what string) (string, error) {
	if returnURL != "" {
		params.ReturnURL = stripe.String(returnURL)
	}
	var s *stripe.BillingPortalSession
	err := c.do(ctx, "create portal session", func() (err error) {
		s, err = c.sc.V1BillingPortalSessions.Create(ctx, params)
		return err
	})
	if err != nil {
		return "", mapError(err, "create %s", what)
	}
	if s.URL == "" {
		return "", recoup.Errorf(recoup.EUNAVAILABLE, "stripe: %s has no URL", what)
	}
	return s.URL, nil
}

// HostedInvoiceURL returns the invoice's hosted page, where a customer whose bank asks for
// authentication (3-D Secure) can complete the payment.
func (c *Client) HostedInvoiceURL(ctx context.Context, invoiceID string) (string, error) {
	if invoiceID == "" {
		return "", recoup.Errorf(recoup.EINVALID, "stripe: hosted invoice page: empty invoice id")
	}
	var inv *stripe.Invoice
	err := c.do(ctx, "get invoice", func() (err error) {
		inv, err = c.sc.V1Invoices.Retrieve(ctx, invoiceID, nil)
		return err
	})
	if err != nil {
		return "", mapError(err, "get invoice %s", invoiceID)
	}
	if inv.HostedInvoiceURL == "" {
		return "", recoup.Errorf(recoup.ENOTFOUND, "stripe: invoice %s has no hosted page (a draft, or no longer payable)", invoiceID)
	}
	return inv.HostedInvoiceURL, nil
}
