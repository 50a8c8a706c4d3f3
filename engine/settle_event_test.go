package engine_test

import (
	"strings"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
)

// deliver ingests the fake Stripe's newest event of type typ, parsed as the webhook parses it
// (its previous_attributes among it), and runs what is due now. It reports the event's id.
func (w *planWorld) deliver(typ string) string {
	w.t.Helper()
	evs := w.fake.EventsOfType(typ)
	if len(evs) == 0 {
		w.t.Fatalf("the fake sent no %s", typ)
	}
	ev, err := stripeapi.ParseEvent(evs[len(evs)-1].Payload, recoup.OriginWebhook)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.eng.Ingest(w.ctx, w.now, &ev); err != nil {
		w.t.Fatal(err)
	}
	w.runDue()
	return ev.ID
}

func (w *planWorld) eventStatus(id string) recoup.Event {
	w.t.Helper()
	ev, err := w.store.Event(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return ev
}

func (w *planWorld) settlements() int {
	n := 0
	for _, q := range w.fake.Requests() {
		if strings.HasSuffix(q.IdempotencyKey, "-settle-remainder") {
			n++
		}
	}
	return n
}

// The customer pays 996.00 of a 1000.00 invoice: Stripe's invoice.updated settles the 4.00 left
// at once, without waiting for recoup's next retry days later. The late invoice_payment.paid
// and a redelivery change nothing, and the settlement is sent once.
func TestSettleRemainderOnInvoiceUpdated(t *testing.T) {
	w := newPlanWorldWith(t, settlePolicy)
	if err := w.fake.PayPart(w.r.InvoiceID, 99_600); err != nil {
		t.Fatal(err)
	}
	id := w.deliver("invoice.updated")
	c := w.wantState(w.r.InvoiceID, recoup.StateRecovered)
	if c.RecoveredBy != recoup.ByRemainderSettled || !c.ResolvedAt.Equal(w.now) {
		t.Fatalf("recovered by %s at %v, want %s now (%v)\n%s", c.RecoveredBy, c.ResolvedAt, recoup.ByRemainderSettled, w.now, dump(w.timeline(c)))
	}
	if ev := w.eventStatus(id); ev.Status != recoup.EventProcessed {
		t.Errorf("invoice.updated: %s (%s)", ev.Status, ev.Note)
	}
	tl := dump(w.timeline(c))
	if !strings.Contains(tl, "invoice.updated") || !strings.Contains(tl, "the rest, 4.00 USD, written off") {
		t.Errorf("the timeline does not show the event and the settlement:\n%s", tl)
	}
	late := w.deliver("invoice_payment.paid")
	w.deliver("invoice.updated") // a redelivery: stored once, not processed again
	if ev := w.eventStatus(late); ev.Status != recoup.EventIgnored {
		t.Errorf("invoice_payment.paid after the settlement: %s (%s)", ev.Status, ev.Note)
	}
	if n := w.settlements(); n != 1 {
		t.Errorf("settlement sent %d times, want once", n)
	}
	if snap, _ := w.fake.Invoice(w.r.InvoiceID); snap.Status != "paid" || w.fake.SucceededCharges(w.r.InvoiceID) != 0 {
		t.Errorf("invoice %+v: want paid out of band, no charge", snap)
	}
}

// invoice_payment.paid alone (the invoice.updated lost) settles the rest too: the invoice is
// found through the payment and read again from Stripe.
func TestSettleRemainderOnInvoicePaymentPaid(t *testing.T) {
	w := newPlanWorldWith(t, settlePolicy)
	if err := w.fake.PayPart(w.r.InvoiceID, 99_600); err != nil {
		t.Fatal(err)
	}
	w.deliver("invoice_payment.paid")
	if c := w.wantState(w.r.InvoiceID, recoup.StateRecovered); c.RecoveredBy != recoup.ByRemainderSettled {
		t.Fatalf("recovered by %s", c.RecoveredBy)
	}
}

// A rest at or above the threshold, observe mode, a paused case, and an invoice.updated that changed neither
// what was paid nor the status: the events are ignored, the case keeps its plan, and the
// timeline does not grow.
func TestPartialPaymentEventsThatSettleNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		paid    int64
		observe bool
		pause   bool
		note    string
	}{
		{"rest at the threshold", 99_500, false, false, "5.00 USD left to pay: nothing to settle"},
		{"observe mode", 99_600, true, false, "4.00 USD left to pay: nothing to settle"},
		{"case paused by an operator", 99_600, false, true, "4.00 USD left to pay: not settled while the case is paused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newPlanWorldWith(t, settlePolicy)
			if tc.pause {
				if err := w.eng.Pause(w.ctx, w.now, w.c.ID, "ops@example.com"); err != nil {
					t.Fatal(err)
				}
				w.runDue()
			}
			if tc.observe {
				p, err := policy.Parse("observe.yaml", []byte("mode: observe\n"+settlePolicy))
				if err != nil {
					t.Fatal(err)
				}
				w.eng.SetPolicy(p)
			}
			before := w.caseOf(w.r.InvoiceID)
			entries := len(w.timeline(before))
			if err := w.fake.PayPart(w.r.InvoiceID, tc.paid); err != nil {
				t.Fatal(err)
			}
			for _, typ := range []string{"invoice.updated", "invoice_payment.paid"} {
				if ev := w.eventStatus(w.deliver(typ)); ev.Status != recoup.EventIgnored || ev.Note != tc.note {
					t.Errorf("%s: %s (%s), want ignored (%s)", typ, ev.Status, ev.Note, tc.note)
				}
			}
			c := w.caseOf(w.r.InvoiceID)
			if c.State != before.State || c.PlanSeq != before.PlanSeq || len(w.timeline(c)) != entries || w.settlements() != 0 {
				t.Fatalf("the case moved: %s seq %d -> %s seq %d, %d settlements\n%s", before.State, before.PlanSeq, c.State, c.PlanSeq, w.settlements(), dump(w.timeline(c)))
			}
		})
	}
	w := newPlanWorldWith(t, settlePolicy)
	reads := len(w.fake.Requests())
	ev := &recoup.Event{ID: "evt_meta", Type: "invoice.updated", ObjectID: w.r.InvoiceID, CustomerID: w.r.CustomerID,
		Changed: []string{"auto_advance", "metadata.recoup"}, Created: w.now, Origin: recoup.OriginWebhook, Payload: []byte(`{}`)}
	if _, err := w.eng.Ingest(w.ctx, w.now, ev); err != nil {
		t.Fatal(err)
	}
	w.runDue()
	if got := w.eventStatus("evt_meta"); got.Status != recoup.EventIgnored || len(w.fake.Requests()) != reads {
		t.Errorf("an update of other fields: %s (%s), %d requests to Stripe", got.Status, got.Note, len(w.fake.Requests())-reads)
	}
}
