package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// Stripe does not order its events, and its real-time card updater may refresh a card at the
// decline itself: a payment-method change can be delivered, or processed, before the failure
// it answers. The case that failure opens must still see it.

// deliver ingests an event created by Stripe at the time given (whole seconds, as Stripe's are).
func (h *harness) deliver(id, typ, object, customer string, created time.Time, payload string, changed ...string) {
	h.t.Helper()
	if payload == "" {
		payload = `{}`
	}
	ev := &recoup.Event{ID: id, Type: typ, ObjectID: object, CustomerID: customer, Changed: changed, Created: created,
		Origin: recoup.OriginWebhook, Payload: []byte(payload)}
	if _, err := h.eng.Ingest(h.ctx, h.now, ev); err != nil {
		h.t.Fatal(err)
	}
}

// defaultChanged is a customer.updated event's payload for a new invoice default card.
func defaultChanged(customer, pm string) string {
	return fmt.Sprintf(`{"data":{"object":{"id":%q,"invoice_settings":{"default_payment_method":%q}}}}`, customer, pm)
}

func TestPaymentMethodChangeBeforeTheFailureRetriesAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		change func(h *harness, at time.Time)
		wantPM string
	}{
		{"card refreshed by the updater", func(h *harness, at time.Time) {
			h.deliver("evt_pm", "payment_method.automatically_updated", "pm_old", "cus_1", at, "")
		}, "pm_old"},
		{"new card attached and made the default", func(h *harness, at time.Time) {
			h.deliver("evt_pm", "payment_method.attached", "pm_new", "cus_1", at, "")
			h.deliver("evt_cus", "customer.updated", "cus_1", "cus_1", at, defaultChanged("cus_1", "pm_new"), "invoice_settings.default_payment_method")
		}, "pm_new"},
	}
	for _, tt := range tests {
		for _, processed := range []string{"delivered first", "processed first"} {
			t.Run(tt.name+", "+processed, func(t *testing.T) {
				h := newHarness(t, testPolicy)
				h.gw.failRenewal("in_1", "cus_1", 4200, expired) // waits for the customer unless the card is fixed
				h.gw.script("in_1", nil)
				failedAt := h.now
				tt.change(h, failedAt) // the updater answers the decline in its very second
				if processed == "processed first" {
					h.runDue()
				}
				h.deliver("evt_failed", "invoice.payment_failed", "in_1", "cus_1", failedAt, "")
				h.runDue()
				c := h.wantState("in_1", recoup.StateRecovered)
				if len(h.gw.calls) != 1 || h.gw.calls[0].PaymentMethodID != tt.wantPM {
					t.Fatalf("calls %+v, want one charge on %s at once; timeline:\n%s", h.gw.calls, tt.wantPM, dump(h.timeline(c)))
				}
			})
		}
	}
}

// A change older than the failure was made before the card failed: it fixed nothing.
func TestPaymentMethodChangeOlderThanTheFailureIsIgnoredWhenTheCaseOpens(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 4200, expired)
	h.deliver("evt_pm", "payment_method.attached", "pm_before", "cus_1", h.now.Add(-time.Second), "")
	h.runDue()
	h.deliver("evt_failed", "invoice.payment_failed", "in_1", "cus_1", h.now, "")
	h.runDue()
	c := h.wantState("in_1", recoup.StateAwaitingCustomer)
	if len(h.gw.calls) != 0 || c.NewPaymentMethodID != "" {
		t.Fatalf("an older card was taken for news: calls %+v, case %+v", h.gw.calls, c)
	}
}

// Stripe's times are whole seconds. When Stripe gives the failed payment no time, the failure
// is dated by its event, not by the local clock, and a card refreshed in the same second is
// news whichever event is processed first.
func TestCardRefreshedInTheFailuresSecondIsNews(t *testing.T) {
	for _, order := range []string{"failure first", "refresh first"} {
		t.Run(order, func(t *testing.T) {
			h := newHarness(t, testPolicy)
			h.gw.failRenewal("in_1", "cus_1", 4200, expired)
			h.gw.invoices["in_1"].LastPayment.At = time.Time{} // Stripe gave the payment no time
			h.gw.script("in_1", nil)
			second := h.now
			h.now = h.now.Add(700 * time.Millisecond) // recoup's clock, in the same second
			events := []func(){
				func() { h.deliver("evt_failed", "invoice.payment_failed", "in_1", "cus_1", second, "") },
				func() {
					h.deliver("evt_pm", "payment_method.automatically_updated", "pm_old", "cus_1", second, "")
				},
			}
			if order == "refresh first" {
				events[0], events[1] = events[1], events[0]
			}
			for _, deliver := range events {
				deliver()
				h.runDue()
			}
			c := h.wantState("in_1", recoup.StateRecovered)
			if !c.FirstFailedAt.Equal(second) {
				t.Errorf("failure dated %v, want Stripe's %v", c.FirstFailedAt, second)
			}
			if a := h.attempts(c, recoup.SourceStripe); len(a) != 1 || !a[0].StartedAt.Equal(second) {
				t.Errorf("Stripe's attempts %+v, want one dated %v", a, second)
			}
			if len(h.gw.calls) != 1 || h.gw.calls[0].PaymentMethodID != "pm_old" {
				t.Fatalf("calls %+v, want one charge on the refreshed card; timeline:\n%s", h.gw.calls, dump(h.timeline(c)))
			}
		})
	}
}

// A customer's change applies to every case it is as new as, and is forgotten once too old to
// matter: Stripe lists events for 30 days.
func TestPaymentMethodChangeIsKeptPerCustomerAndPruned(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 4200, expired)
	h.gw.failRenewal("in_2", "cus_1", 900, expired)
	h.gw.script("in_1", nil)
	h.gw.script("in_2", nil)
	h.deliver("evt_pm", "payment_method.automatically_updated", "pm_old", "cus_1", h.now, "")
	h.deliver("evt_1", "invoice.payment_failed", "in_1", "cus_1", h.now, "")
	h.deliver("evt_2", "invoice.payment_failed", "in_2", "cus_1", h.now, "")
	h.runDue()
	h.wantState("in_1", recoup.StateRecovered)
	h.wantState("in_2", recoup.StateRecovered)

	changed := h.now
	h.now = h.now.Add(31 * 24 * time.Hour)
	if err := h.eng.Reconcile(h.ctx, h.now); err != nil {
		t.Fatal(err)
	}
	h.gw.failRenewal("in_3", "cus_1", 900, expired)
	h.gw.invoices["in_3"].LastPayment.At = changed // a failure of that second, reaching recoup a month late
	h.deliver("evt_3", "invoice.payment_failed", "in_3", "cus_1", changed, "")
	h.runDue()
	// A month past the failure its policy gives up at once; it does not charge the card.
	if c := h.wantState("in_3", recoup.StateExhausted); len(h.gw.calls) != 2 || c.NewPaymentMethodID != "" {
		t.Fatalf("a pruned change was applied: calls %+v, case %+v", h.gw.calls, c)
	}
}
