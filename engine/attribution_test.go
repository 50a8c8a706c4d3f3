package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// newDefault delivers customer.updated: the customer made pm their default payment method.
func (h *harness) newDefault(id, customer, pm string) {
	h.t.Helper()
	ev := &recoup.Event{ID: id, Type: "customer.updated", ObjectID: customer, CustomerID: customer,
		Changed: []string{"invoice_settings.default_payment_method"}, Created: h.now, Origin: recoup.OriginWebhook,
		Payload: []byte(`{"data":{"object":{"id":"` + customer + `","invoice_settings":{"default_payment_method":"` + pm + `"}}}}`)}
	if _, err := h.eng.Ingest(h.ctx, h.now, ev); err != nil {
		h.t.Fatal(err)
	}
}

// What recovered a case follows from the card recoup's successful charge ran on, recorded on
// the attempt when the charge is made: the card that failed is recoup's retry, the card as the
// card updater refreshed it is the card updater's, and a card the customer supplied is the
// customer's new card, although recoup's charge collected it.
func TestRecoveryIsCreditedToTheCardCharged(t *testing.T) {
	for _, tc := range []struct {
		name     string
		decline  *recoup.Decline
		fix      func(h *harness) // charges are scripted by each case: declined unless told
		wantCard recoup.CardSource
		wantBy   recoup.RecoveredBy
	}{
		{"a retry of the card that failed", insufficient, func(h *harness) {
			h.gw.script("in_1", nil)
			h.advance(5 * 24 * time.Hour)
		}, recoup.CardSame, recoup.ByRecoupRetry},
		{"the card updater refreshed the card that failed", expired, func(h *harness) {
			h.gw.script("in_1", nil)
			h.ingest("evt_2", "payment_method.automatically_updated", "pm_old", "cus_1")
			h.runDue()
		}, recoup.CardRefreshed, recoup.ByCardUpdater},
		{"the customer added a new card", expired, func(h *harness) {
			h.gw.script("in_1", nil)
			h.ingest("evt_2", "payment_method.attached", "pm_new", "cus_1")
			h.runDue()
		}, recoup.CardCustomer, recoup.ByCustomerNewCard},
		{"the customer made a new card the default", expired, func(h *harness) {
			h.gw.script("in_1", nil)
			h.newDefault("evt_2", "cus_1", "pm_new")
			h.runDue()
		}, recoup.CardCustomer, recoup.ByCustomerNewCard},
		{"the customer's new default declined once, then passed", insufficient, func(h *harness) {
			h.gw.script("in_1", insufficient, nil)
			h.gw.defaults = map[string]string{"cus_1": "pm_new"}
			h.newDefault("evt_2", "cus_1", "pm_new")
			h.runDue()
			h.advance(10 * 24 * time.Hour)
		}, recoup.CardCustomer, recoup.ByCustomerNewCard},
		{"the customer's added card declined, then the card that failed passed", insufficient, func(h *harness) {
			h.gw.script("in_1", insufficient, nil)
			h.ingest("evt_2", "payment_method.attached", "pm_new", "cus_1") // not the default
			h.runDue()
			h.advance(10 * 24 * time.Hour)
		}, recoup.CardSame, recoup.ByRecoupRetry},
		{"the customer's card failed on the hosted page, then the card that failed passed", insufficient, func(h *harness) {
			h.gw.script("in_1", nil)
			h.gw.defaults = map[string]string{"cus_1": "pm_old"}
			h.gw.failedOn("in_1", "pm_other", insufficient)
			h.ingest("evt_2", "invoice.payment_failed", "in_1", "cus_1")
			h.runDue()
			h.advance(5 * 24 * time.Hour)
		}, recoup.CardSame, recoup.ByRecoupRetry},
		{"Stripe charged a default recoup had not heard of", insufficient, func(h *harness) {
			h.gw.script("in_1", nil)
			h.gw.defaults = map[string]string{"cus_1": "pm_other"}
			h.advance(5 * 24 * time.Hour)
		}, recoup.CardCustomer, recoup.ByCustomerNewCard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testPolicy)
			h.gw.failRenewal("in_1", "cus_1", 4200, tc.decline)
			h.gw.defaults = map[string]string{"cus_1": "pm_old"}
			h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
			h.runDue()
			tc.fix(h)
			c := h.wantState("in_1", recoup.StateRecovered)
			attempts := h.attempts(c, recoup.SourceRecoup)
			last := attempts[len(attempts)-1]
			if last.Status != recoup.AttemptSucceeded || last.Card != tc.wantCard || c.RecoveredBy != tc.wantBy {
				t.Fatalf("charge %d %s on card source %q, case recovered by %s; want card source %q, recovered by %s\n%s",
					last.N, last.Status, last.Card, c.RecoveredBy, tc.wantCard, tc.wantBy, dump(h.timeline(c)))
			}
			if strings.Contains(tc.name, "declined") && len(attempts) < 2 {
				t.Fatalf("%d charge(s): the case must decline before it passes", len(attempts))
			}
		})
	}
}

// A charge on the customer's new card went through, and the process died before recording it:
// the invoice.paid that follows finds the pending attempt and credits the customer's new card.
func TestLostOutcomeOfAChargeOnTheCustomersCard(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 4200, expired)
	h.gw.script("in_1", nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	h.gw.afterPay = func(recoup.PayRequest) error { return errUnavailable }
	h.ingest("evt_2", "payment_method.attached", "pm_new", "cus_1")
	h.runDue()
	h.gw.afterPay = nil
	if c := h.caseOf("in_1"); c.State != recoup.StateRetrying && c.State != recoup.StateRecovered {
		t.Fatalf("case %s after the lost outcome", c.State)
	}
	h.ingest("evt_3", "invoice.paid", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateRecovered)
	if c.RecoveredBy != recoup.ByCustomerNewCard || h.gw.charges["in_1"] != 1 {
		t.Fatalf("recovered by %s after %d charges, want the customer's new card once", c.RecoveredBy, h.gw.charges["in_1"])
	}
}

// A payment on the card that failed is Stripe's retry, unless only the customer could have made
// it: after an authentication decline, Stripe's off-session retries cannot pass, so the payment
// is the customer's, authenticated on the hosted page.
func TestAuthenticatedPaymentIsTheCustomers(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 4200, &recoup.Decline{Code: "authentication_required"})
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	h.gw.payByCustomer("in_1", "pm_old")
	h.ingest("evt_2", "invoice.paid", "in_1", "cus_1")
	h.runDue()
	if c := h.wantState("in_1", recoup.StateRecovered); c.RecoveredBy != recoup.ByCustomerPaid {
		t.Fatalf("recovered by %s, want the customer's own payment", c.RecoveredBy)
	}
}
