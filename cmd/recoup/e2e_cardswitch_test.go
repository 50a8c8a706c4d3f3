package main

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// recoup serve against the fake Stripe: a subscription with its own default card fails on an
// expired card; the customer sets a new card in the Billing Portal, which changes only the
// customer's invoice default. recoup charges the new card at once and then clears the
// subscription's own default, so that the next renewal charges the new card too.
func TestE2ENewCardBecomesTheSubscriptions(t *testing.T) {
	w := newWorld(t)
	p := w.start(sqliteURL(t))
	r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: "ada@example.com", Decline: stripefake.CardDeclined("expired_card"),
		Behaviour: stripefake.Declined(stripefake.CardDeclined("expired_card"))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.fake.UpdateSubscriptionPaymentMethod(r.SubscriptionID, r.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	p.waitState(r.InvoiceID, recoup.StateAwaitingCustomer)

	newPM := w.fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: r.CustomerID, Last4: "1881"})
	if err := w.fake.UpdateDefaultPaymentMethod(r.CustomerID, newPM); err != nil {
		t.Fatal(err)
	}
	v := p.waitState(r.InvoiceID, recoup.StateRecovered)
	p.waitFor("the card switch", func() bool {
		v, _ = p.caseOf(r.InvoiceID)
		return strings.Contains(timelineText(v.Timeline), "now charges the customer's new default card "+newPM)
	}, func() string { return timelineText(v.Timeline) })

	var paid *recoup.Attempt
	for i, a := range v.Attempts {
		if a.Status == recoup.AttemptSucceeded {
			paid = &v.Attempts[i]
		}
	}
	if paid == nil || paid.PaymentMethodID != newPM || paid.Source != recoup.SourceRecoup {
		t.Fatalf("attempts %+v, want recoup's charge on %s", v.Attempts, newPM)
	}
	if own := w.fake.SubscriptionPaymentMethod(r.SubscriptionID); own != "" {
		t.Fatalf("subscription still charges its own default %s", own)
	}
	if def := w.fake.DefaultPaymentMethod(r.CustomerID); def != newPM {
		t.Fatalf("customer default %s, want %s", def, newPM)
	}
	updates := 0
	for _, q := range w.fake.Requests() {
		if q.Method == "POST" && q.Path == "/v1/subscriptions/"+r.SubscriptionID {
			updates++
			if q.IdempotencyKey == "" {
				t.Error("subscription update without an idempotency key")
			}
		}
	}
	if updates != 1 {
		t.Fatalf("%d subscription updates, want 1", updates)
	}
}

// recoup serve with RECOUP_CARD_EXPIRY_NOTICES, the warning coming at 23:00 (the policy's zone,
// UTC): nothing is sent in the customer's quiet hours; a card_expiring job sends the notice
// once they end, at 08:00.
func TestE2ECardExpiringNoticeWaitsForTheMorning(t *testing.T) {
	mb, addr := startSMTP(t)
	w := newWorld(t)
	night := nextNoon(w.clock.Now()).Add(11 * time.Hour)
	w.clock.advanceTo(night)
	p := w.start(sqliteURL(t), func(c *ServeCmd) {
		c.CommsFlags = emailComms(addr)
		c.CardExpiring = true
	})
	now := w.clock.Now().UTC()
	expires := recoup.CardExpiry(int(now.Month()), now.Year())
	cus := w.fake.CreateCustomer(stripefake.CustomerParams{Email: "ada@example.com", Name: "Ada Lovelace"})
	pm := w.fake.CreatePaymentMethod(stripefake.PaymentMethodParams{Customer: cus, ExpMonth: int(now.Month()), ExpYear: now.Year(), Default: true})
	w.fake.CreateSubscription(stripefake.SubscriptionParams{Customer: cus, CurrentPeriodEnd: expires.Add(10 * 24 * time.Hour), UnitAmount: 4900})
	if err := w.fake.CardExpiring(pm); err != nil {
		t.Fatal(err)
	}
	id := lastEventID(w, "customer.source.expiring")
	p.waitFor("the warning processed", func() bool {
		ev, err := p.app.backend.store.Event(t.Context(), id)
		return err == nil && ev.Status != recoup.EventPending
	})
	if mb.count() != 0 {
		t.Fatalf("%d emails at 23:00, want none", mb.count())
	}
	morning := night.Add(9 * time.Hour)
	w.clock.advanceTo(morning.Add(time.Minute))
	p.waitJobs(recoup.JobCardExpiring, 1, func(j recoup.Job) bool { return j.CustomerID == cus })
	if mb.count() != 1 {
		t.Fatalf("%d emails after the quiet hours, want 1", mb.count())
	}
	if text := mb.text(t, 0); !strings.Contains(text, "expires before your next payment") {
		t.Fatalf("notice:\n%s", text)
	}
}
