package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

const settlePolicy = testPolicy + "settle_remainder_below: 500\n"

// The customer pays 996.00 of a 1000.00 invoice: at recoup's next action the 4.00 left is under
// settle_remainder_below (5.00), so the invoice is marked paid outside Stripe's charge instead
// of charging the card again, and the case is credited to remainder_settled, on the timeline.
func TestSettleRemainder(t *testing.T) {
	w := newPlanWorldWith(t, settlePolicy)
	if err := w.fake.PayPart(w.r.InvoiceID, 99_600); err != nil {
		t.Fatal(err)
	}
	w.advance(8 * 24 * time.Hour)
	c := w.wantState(w.r.InvoiceID, recoup.StateRecovered)
	if c.RecoveredBy != recoup.ByRemainderSettled {
		t.Fatalf("recovered by %s, want %s\n%s", c.RecoveredBy, recoup.ByRemainderSettled, dump(w.timeline(c)))
	}
	snap, _ := w.fake.Invoice(w.r.InvoiceID)
	if snap.Status != "paid" || w.fake.SucceededCharges(w.r.InvoiceID) != 0 {
		t.Errorf("invoice %+v, %d charges: want paid out of band, no charge", snap, w.fake.SucceededCharges(w.r.InvoiceID))
	}
	tl := dump(w.timeline(c))
	for _, want := range []string{"996.00 USD paid of 1000.00 USD", "the rest, 4.00 USD, written off", "settle_remainder_below"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline does not say %q:\n%s", want, tl)
		}
	}
	for _, a := range w.attempts(c, recoup.SourceRecoup) {
		if a.PaymentMethodID != "" && a.Status == recoup.AttemptSucceeded {
			t.Errorf("a card was charged: %+v", a)
		}
	}
}

// A rest at or above the threshold is charged as usual.
func TestSettleRemainderAboveThreshold(t *testing.T) {
	w := newPlanWorldWith(t, settlePolicy)
	if err := w.fake.PayPart(w.r.InvoiceID, 99_500); err != nil { // 5.00 left: not under 5.00
		t.Fatal(err)
	}
	w.advance(4 * 24 * time.Hour)
	c := w.caseOf(w.r.InvoiceID)
	if c.State == recoup.StateRecovered {
		t.Fatalf("settled a rest of 5.00 under a threshold of 5.00\n%s", dump(w.timeline(c)))
	}
	for _, a := range w.attempts(c, recoup.SourceRecoup) {
		if a.Card == recoup.CardRemainderSettled {
			t.Errorf("settlement attempted: %+v", a)
		}
	}
}

// A crash after Stripe marked the invoice paid and before the outcome was recorded: the job's
// retry finds the invoice paid and credits the recorded settlement, without a second request.
func TestSettleRemainderResumedAfterCrash(t *testing.T) {
	w := newPlanWorldWith(t, settlePolicy)
	if err := w.fake.PayPart(w.r.InvoiceID, 99_600); err != nil {
		t.Fatal(err)
	}
	w.gw.afterSettle = once(func(string) error { panic(crash{}) })
	w.now = w.caseOf(w.r.InvoiceID).NextAction.At
	j, _ := w.take(func(j recoup.Job) bool { return j.Kind == recoup.JobAct && !j.RunAt.After(w.now) })
	if !w.runCrashing(j) {
		t.Fatal("the process did not die")
	}
	w.wantState(w.r.InvoiceID, recoup.StateRetrying)
	w.now = w.now.Add(time.Minute)
	if err := w.run(j); err != nil {
		t.Fatal(err)
	}
	if c := w.wantState(w.r.InvoiceID, recoup.StateRecovered); c.RecoveredBy != recoup.ByRemainderSettled {
		t.Fatalf("recovered by %s", c.RecoveredBy)
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
