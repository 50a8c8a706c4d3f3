package stripeapi

import (
	"context"
	"strings"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// Customer reads a customer's name, email, preferred locales and address country and region (GET /v1/customers/{id}), for
// writing messages to them. A deleted customer is ENOTFOUND.
func (c *Client) Customer(ctx context.Context, id string) (recoup.Customer, error) {
	if id == "" {
		return recoup.Customer{}, recoup.Errorf(recoup.EINVALID, "stripe: get customer: empty id")
	}
	var cus *stripe.Customer
	err := c.do(ctx, "get customer", func() (err error) {
		cus, err = c.sc.V1Customers.Retrieve(ctx, id, nil)
		return err
	})
	if err != nil {
		return recoup.Customer{}, mapError(err, "get customer %s", id)
	}
	if cus.Deleted {
		return recoup.Customer{}, recoup.Errorf(recoup.ENOTFOUND, "stripe: customer %s is deleted", id)
	}
	out := recoup.Customer{ID: cus.ID, Name: cus.Name, Email: cus.Email, Locales: cus.PreferredLocales, Created: unixTime(cus.Created)}
	out.Phone, out.SMSConsent = cus.Phone, smsConsent(cus.Metadata[SMSConsentKey])
	if a := cus.Address; a != nil {
		out.Country, out.Region = a.Country, a.State
	}
	return out, nil
}

// SMSConsentKey is the Stripe customer metadata key by which the merchant records that the
// customer agreed to receive SMS: "yes" or "true" (any case). Without it, or with a STOP texted
// by the person since, no SMS is sent to them.
const SMSConsentKey = "recoup_sms_consent"

func smsConsent(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true":
		return true
	}
	return false
}
