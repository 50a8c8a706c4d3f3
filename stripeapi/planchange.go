package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// SubscriptionUpdateURL creates a Billing Portal session on the subscription update flow
// (flow_data.type subscription_update) for the customer's subscription, where they may switch
// to another price (a cheaper plan), and returns its URL. The prices offered are the portal
// configuration's (Stripe dashboard, Billing Portal, "Customers can switch plans"): without
// them Stripe refuses the session (EINVALID). Like PaymentUpdateURL, the session is created
// when the customer asks, is short-lived, and a retried request may create a second one.
func (c *Client) SubscriptionUpdateURL(ctx context.Context, customerID, subscriptionID, returnURL string) (string, error) {
	if customerID == "" || subscriptionID == "" {
		return "", recoup.Errorf(recoup.EINVALID, "stripe: subscription update session: customer and subscription are required")
	}
	params := &stripe.BillingPortalSessionCreateParams{
		Customer: stripe.String(customerID),
		FlowData: &stripe.BillingPortalSessionCreateFlowDataParams{
			Type: stripe.String(string(stripe.BillingPortalSessionFlowTypeSubscriptionUpdate)),
			SubscriptionUpdate: &stripe.BillingPortalSessionCreateFlowDataSubscriptionUpdateParams{
				Subscription: stripe.String(subscriptionID),
			},
		},
	}
	return c.portalSession(ctx, params, returnURL, "subscription update session for "+subscriptionID)
}
