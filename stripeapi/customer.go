package stripeapi

import (
	"context"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// Customer reads a customer's name, email and preferred locales (GET /v1/customers/{id}), for
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
	return recoup.Customer{ID: cus.ID, Name: cus.Name, Email: cus.Email, Locales: cus.PreferredLocales, Created: unixTime(cus.Created)}, nil
}
