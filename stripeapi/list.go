package stripeapi

import (
	"cmp"
	"context"
	"encoding/json"
	"iter"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/stripe/stripe-go/v86"
)

// maxTypesPerList is how many types GET /v1/events accepts in types[].
const maxTypesPerList = 20

// Events lists the events Stripe created at or after since (Stripe keeps 30 days) whose type
// is one of types (every type when types is empty), oldest first, each parsed like a webhook
// delivery with Origin reconcile. It is the way to catch up on lost webhooks.
//
// Stripe lists newest first, so the whole listing is read before the first event is yielded;
// its size is that of the events of the given types in the window. More than 20 types are
// read in groups of 20 and merged by creation time. A listing failure is yielded once as the
// error and ends the sequence; an event that does not parse is yielded as an error too, and
// the sequence goes on if the consumer continues.
func (c *Client) Events(ctx context.Context, since time.Time, types []string) iter.Seq2[recoup.Event, error] {
	return func(yield func(recoup.Event, error) bool) {
		raws, err := c.listEvents(ctx, since, types)
		if err != nil {
			yield(recoup.Event{}, err)
			return
		}
		for _, raw := range raws {
			ev, err := ParseEvent(raw, recoup.OriginReconcile)
			if !yield(ev, err) {
				return
			}
		}
	}
}

// listedEvent is one event of a listing, kept raw.
type listedEvent struct {
	id      string
	created int64
	raw     []byte
}

// listEvents reads every matching event and returns their JSON, oldest first.
func (c *Client) listEvents(ctx context.Context, since time.Time, types []string) ([][]byte, error) {
	types = slices.Compact(slices.Sorted(slices.Values(types)))
	var groups [][]string
	for chunk := range slices.Chunk(types, maxTypesPerList) {
		groups = append(groups, chunk)
	}
	if len(groups) == 0 {
		groups = [][]string{nil}
	}
	var all []listedEvent
	for _, group := range groups {
		evs, err := c.listEventGroup(ctx, since, group)
		if err != nil {
			return nil, err
		}
		slices.Reverse(evs) // newest first -> oldest first
		all = append(all, evs...)
	}
	if len(groups) > 1 {
		// Each group is in Stripe's order already; a stable sort by time keeps it for ties.
		slices.SortStableFunc(all, func(a, b listedEvent) int { return cmp.Compare(a.created, b.created) })
	}
	seen := make(map[string]bool, len(all))
	out := make([][]byte, 0, len(all))
	for _, ev := range all {
		if !seen[ev.id] {
			seen[ev.id] = true
			out = append(out, ev.raw)
		}
	}
	return out, nil
}

// listEventGroup pages through GET /v1/events for one group of types, newest first.
func (c *Client) listEventGroup(ctx context.Context, since time.Time, types []string) ([]listedEvent, error) {
	var out []listedEvent
	cursor := ""
	for {
		params := &stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(c.pageSize), Single: true}}
		if !since.IsZero() {
			params.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
		}
		if len(types) > 0 {
			params.Types = stripe.StringSlice(types)
		}
		if cursor != "" {
			params.StartingAfter = stripe.String(cursor)
		}
		var page *listPage[*stripe.Event]
		err := c.do(ctx, "list events", func() error {
			page = c.sc.V1Events.List(ctx, params)
			return page.Err()
		})
		if err != nil {
			return nil, mapError(err, "list events")
		}
		for _, ev := range page.Data() {
			raw, err := eventJSON(ev)
			if err != nil {
				return nil, recoup.Errorf(recoup.EINTERNAL, "stripe: list events: encode %s: %w", ev.ID, err)
			}
			out = append(out, listedEvent{id: ev.ID, created: ev.Created, raw: raw})
		}
		data := page.Data()
		if !page.Meta().HasMore || len(data) == 0 {
			return out, nil
		}
		cursor = data[len(data)-1].ID
	}
}

// eventJSON returns the event as Stripe sent it: stripe-go keeps each listed item's raw JSON.
func eventJSON(ev *stripe.Event) ([]byte, error) {
	if ev.LastResponse != nil && len(ev.LastResponse.RawJSON) > 0 {
		return ev.LastResponse.RawJSON, nil
	}
	return json.Marshal(ev)
}

// FailedInvoices calls fn with every open invoice created at or after since that Stripe tried
// and failed to collect automatically (attempted, collection_method charge_automatically),
// each with its LastPayment, newest first. It is the backfill of cases for failures that
// happened before recoup was running. It stops at fn's first error and returns it.
func (c *Client) FailedInvoices(ctx context.Context, since time.Time, fn func(recoup.Invoice) error) error {
	list := func(after *string) *listPage[*stripe.Invoice] {
		params := &stripe.InvoiceListParams{
			ListParams:       stripe.ListParams{Limit: stripe.Int64(c.pageSize), Single: true, StartingAfter: after},
			Status:           stripe.String(string(stripe.InvoiceStatusOpen)),
			CollectionMethod: stripe.String(string(stripe.InvoiceCollectionMethodChargeAutomatically)),
		}
		if !since.IsZero() {
			params.CreatedRange = &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
		}
		params.AddExpand("data.payments")
		// The facts policy segments read, as Invoice reads them (four levels: Stripe's limit).
		params.AddExpand("data.customer")
		params.AddExpand("data.parent.subscription_details.subscription")
		return c.sc.V1Invoices.List(ctx, params)
	}
	var fnErr error
	err := pages(ctx, c, "list invoices", "", list, idOfInvoice, func(data []*stripe.Invoice) bool {
		for _, inv := range data {
			if !inv.Attempted || inv.Status != stripe.InvoiceStatusOpen ||
				inv.CollectionMethod != stripe.InvoiceCollectionMethodChargeAutomatically {
				continue
			}
			out := toInvoice(inv)
			if out.LastPayment, fnErr = c.lastPayment(ctx, inv); fnErr != nil {
				return false
			}
			if fnErr = fn(out); fnErr != nil {
				return false
			}
		}
		return true
	})
	if err != nil {
		return mapError(err, "list open invoices")
	}
	return fnErr
}
