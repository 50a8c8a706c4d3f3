package main

import (
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// A customer pays most of a failed invoice outside a charge: the signed webhooks Stripe sends
// for it (invoice_payment.paid, invoice.updated) reach recoup serve, which settles the small
// rest at once, before its next retry is due, with one request to Stripe.
func TestE2EPartialPaymentSettlesTheRest(t *testing.T) {
	w := newWorld(t)
	w.policyYAML = e2ePolicy + "settle_remainder_below: 500\n"
	p := w.start(sqliteURL(t))
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", AmountDue: 10_000, Decline: stripefake.CardDeclined("insufficient_funds")})
	if err != nil {
		t.Fatal(err)
	}
	v := p.waitState(r.InvoiceID, recoup.StateScheduled)
	if next := v.Case.NextAction; next == nil || !next.At.After(w.clock.Now()) {
		t.Fatalf("next action %+v: want a retry in the future", next)
	}
	if err := w.fake.PayPart(r.InvoiceID, 9_700); err != nil {
		t.Fatal(err)
	}
	v = p.waitState(r.InvoiceID, recoup.StateRecovered)
	if v.Case.RecoveredBy != recoup.ByRemainderSettled || w.fake.SucceededCharges(r.InvoiceID) != 0 {
		t.Fatalf("recovered by %s with %d charges\n%s", v.Case.RecoveredBy, w.fake.SucceededCharges(r.InvoiceID), timelineText(v.Timeline))
	}
	if snap, _ := w.fake.Invoice(r.InvoiceID); snap.Status != "paid" {
		t.Fatalf("invoice %+v", snap)
	}
	sent := 0
	for _, q := range w.fake.Requests() {
		if strings.HasSuffix(q.IdempotencyKey, "-settle-remainder") {
			sent++
		}
	}
	if sent != 1 {
		t.Errorf("settlement sent %d times, want once", sent)
	}
}
