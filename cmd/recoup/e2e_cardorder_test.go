package main

import (
	"context"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// recoup serve against the fake Stripe: a renewal fails on an expired card and Stripe's card
// updater refreshes the card at the decline itself. Stripe sends the two events in no order:
// payment_method.automatically_updated is delivered and processed before invoice.payment_failed.
// The case that opens charges the refreshed card at once instead of waiting for the customer.
func TestE2ECardRefreshedBeforeTheFailureIsDelivered(t *testing.T) {
	w := newWorld(t)
	p := w.start(sqliteURL(t))
	w.fake.SetAutoDeliver(false)
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", Decline: stripefake.CardDeclined("expired_card"),
		Behaviour: stripefake.Declined(stripefake.CardDeclined("expired_card"))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.fake.RefreshCard(r.PaymentMethodID, stripefake.CardRefresh{ExpMonth: 4, ExpYear: 2031}); err != nil {
		t.Fatal(err)
	}
	refreshed := w.fake.EventsOfType("payment_method.automatically_updated")[0]
	failed := w.fake.EventsOfType("invoice.payment_failed")[0]
	if code, err := w.fake.Deliver(refreshed.ID); err != nil || code != 200 {
		t.Fatalf("deliver %s: %d %v", refreshed.ID, code, err)
	}
	p.waitFor("the card update to be processed", func() bool {
		ev, err := p.app.backend.store.Event(context.Background(), refreshed.ID)
		return err == nil && ev.Status != recoup.EventPending
	})
	if code, err := w.fake.Deliver(failed.ID); err != nil || code != 200 {
		t.Fatalf("deliver %s: %d %v", failed.ID, code, err)
	}

	v := p.waitState(r.InvoiceID, recoup.StateRecovered) // the clock never moves: at once
	var charges []recoup.Attempt
	for _, a := range v.Attempts {
		if a.Source == recoup.SourceRecoup {
			charges = append(charges, a)
		}
	}
	if len(charges) != 1 || charges[0].Status != recoup.AttemptSucceeded || charges[0].PaymentMethodID != r.PaymentMethodID {
		t.Fatalf("recoup's charges %+v, want one paid on the refreshed card %s; timeline:\n%s", charges, r.PaymentMethodID, timelineText(v.Timeline))
	}
}
