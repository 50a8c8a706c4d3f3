package stripeapi

import (
	"context"

	"github.com/stripe/stripe-go/v86"
)

// pages reads a Stripe list page by page, starting after the object cursor ("" from the first
// page), each page under the client's rate limit and retries. list asks for the page after
// startingAfter (nil for the first); id names an object, the cursor of the next page; fn takes
// each page in turn and returns false to stop. It returns the listing's error, unmapped: the
// caller says what it was listing.
func pages[T any](ctx context.Context, c *Client, op, cursor string, list func(startingAfter *string) *listPage[T],
	id func(T) string, fn func([]T) bool) error {
	for {
		var after *string
		if cursor != "" {
			after = stripe.String(cursor)
		}
		var page *listPage[T]
		if err := c.do(ctx, op, func() error {
			page = list(after)
			return page.Err()
		}); err != nil {
			return err
		}
		data := page.Data()
		if !fn(data) || !page.Meta().HasMore || len(data) == 0 {
			return nil
		}
		cursor = id(data[len(data)-1])
	}
}

// idOfInvoice is an invoice's cursor in a listing.
func idOfInvoice(in *stripe.Invoice) string { return in.ID }
