package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// adversarialPolicy retries every day for 20 days, a minute after any other charge, blind to
// decline codes: only the network guard keeps it within the networks' rules.
const adversarialPolicy = `
timezone: UTC
retry:
  schedule_days: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
  hour: 10
  max_attempts: 20
  min_gap: 1m
  wait_for_customer: []
customer_wait: 30d
final_action: cancel_subscription
`

var mcDecline = &recoup.Decline{Code: "card_declined", DeclineCode: "do_not_honor", NetworkDeclineCode: "05", CardBrand: "mastercard"}

// declineOnHostedPage plays the customer trying the same card on Stripe's hosted page and
// being declined: Stripe's attempt count rises and the webhook arrives.
func (h *harness) declineOnHostedPage(invoiceID, eventID string, d *recoup.Decline) {
	h.t.Helper()
	h.gw.mu.Lock()
	inv := h.gw.invoices[invoiceID]
	inv.AttemptCount++
	inv.LastPayment = &recoup.Payment{PaymentMethodID: "pm_old", Status: "requires_payment_method", Decline: d, At: h.now}
	h.gw.mu.Unlock()
	h.ingest(eventID, "invoice.payment_failed", invoiceID, inv.CustomerID)
	h.runDue()
}

// declinesIn24h returns the most declines the card saw in any 24 hours ending at a charge.
func declinesIn24h(attempts []recoup.Attempt) int {
	most := 0
	for _, a := range attempts {
		n := 0
		for _, b := range attempts {
			if !b.StartedAt.After(a.StartedAt) && a.StartedAt.Sub(b.StartedAt) < 24*time.Hour && b.Status == recoup.AttemptDeclined {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func TestNetworkGuardOverridesAnAdversarialPolicy(t *testing.T) {
	t.Run("case budget of 8 retries", func(t *testing.T) {
		h := newHarness(t, adversarialPolicy)
		h.gw.failRenewal("in_1", "cus_1", 4900, mcDecline)
		h.gw.script("in_1", mcDecline, mcDecline, mcDecline, mcDecline, mcDecline, mcDecline, mcDecline, mcDecline, mcDecline, mcDecline)
		h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
		h.advance(60 * 24 * time.Hour)

		c := h.wantState("in_1", recoup.StateExhausted)
		if n := len(h.gw.calls); n != 8 {
			t.Fatalf("%d charges after the first failure, want the case budget of 8; timeline:\n%s", n, dump(h.timeline(c)))
		}
		if want := c.FirstFailedAt.Add(30 * 24 * time.Hour); !c.ResolvedAt.Equal(want) {
			t.Errorf("final action at %v, want the end of customer_wait %v", c.ResolvedAt, want)
		}
		if tl := dump(h.timeline(c)); !strings.Contains(tl, "network guard: case budget: 8 retries after the first failure, at most 8") {
			t.Fatalf("the timeline does not name the rule:\n%s", tl)
		}
	})

	t.Run("10 Mastercard declines in 24 hours, the customer's included", func(t *testing.T) {
		h := newHarness(t, adversarialPolicy+"network: {case_budget: 15}\n")
		h.gw.failRenewal("in_1", "cus_1", 4900, mcDecline)
		var script []any
		for range 20 {
			script = append(script, mcDecline)
		}
		h.gw.script("in_1", script...)
		h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
		h.runDue()
		// The customer tries the card 8 more times in the next minute and a half: 9 declines.
		for i := range 8 {
			h.now = h.now.Add(10 * time.Second)
			h.declineOnHostedPage("in_1", fmt.Sprintf("evt_hosted_%d", i), mcDecline)
		}
		first := h.caseOf("in_1").FirstFailedAt
		h.advance(60 * 24 * time.Hour)

		c := h.wantState("in_1", recoup.StateExhausted)
		all, err := h.store.Attempts(h.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := declinesIn24h(all); n > 10 {
			t.Errorf("%d declines in 24 hours, Mastercard allows 10; timeline:\n%s", n, dump(h.timeline(c)))
		}
		if n := len(all) - 1; n != 15 {
			t.Errorf("%d retries after the first failure, want the case budget of 15", n)
		}
		mine := h.attempts(c, recoup.SourceRecoup)
		// The policy's first retry is the 10th decline in 24 hours: allowed. Its second (day 1 at
		// 10:00) would be the 11th: moved to exactly 24 hours after the first failure.
		if len(mine) < 2 || !mine[0].StartedAt.Equal(h.gw.invoices["in_1"].Created.Add(80*time.Second+time.Minute)) || !mine[1].StartedAt.Equal(first.Add(24*time.Hour)) {
			t.Errorf("recoup's charges at %v, %v; want 1m after the last hosted-page decline, then %v", mine[0].StartedAt, mine[1].StartedAt, first.Add(24*time.Hour))
		}
		tl := dump(h.timeline(c))
		for _, want := range []string{"network guard: Mastercard: at most 10 declines in 24 hours per card: moved to", "network guard: case budget"} {
			if !strings.Contains(tl, want) {
				t.Errorf("the timeline does not say %q:\n%s", want, tl)
			}
		}
	})
}

// A Visa retry that Stripe blocks as excessive (outcome reason previously_declined_do_not_retry,
// not sent to the network) stops the card even under a policy blind to decline codes: the case
// waits for a new payment method, the reason says why in words, and the new card is charged.
func TestStripeRetryBlockStopsTheCard(t *testing.T) {
	visaSoft := &recoup.Decline{Code: "card_declined", DeclineCode: "do_not_honor", NetworkDeclineCode: "05", CardBrand: "visa"}
	// As stripeapi reads it: the error's generic decline completed by the charge's outcome.
	blocked := &recoup.Decline{Code: "card_declined", DeclineCode: "generic_decline", OutcomeType: "blocked",
		OutcomeReason: "previously_declined_do_not_retry", NetworkStatus: "not_sent_to_network",
		Message: "Your card was declined.", CardBrand: "visa"}
	const why = "Stripe blocked this retry: the card was declined before and Visa's rules forbid retrying it"

	h := newHarness(t, adversarialPolicy)
	h.gw.failRenewal("in_1", "cus_1", 4900, visaSoft)
	// Two retries declined by the issuer, the third blocked by Stripe; any later charge of the
	// card would pass, so a retry after the block would show as a recovery.
	h.gw.script("in_1", visaSoft, visaSoft, blocked, nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(10 * 24 * time.Hour)

	c := h.wantState("in_1", recoup.StateAwaitingCustomer)
	tl := dump(h.timeline(c))
	if n := len(h.gw.calls); n != 3 {
		t.Fatalf("%d charges, want 3: none after Stripe's block; timeline:\n%s", n, tl)
	}
	if c.Category != recoup.CategoryHard || c.NextAction == nil || c.NextAction.Kind != recoup.ActionFinal {
		t.Fatalf("category %s, next %+v; want the card stopped and the customer waited for", c.Category, c.NextAction)
	}
	if !strings.Contains(c.NextAction.Reason, why) || !strings.Contains(tl, "charge 3 declined: previously_declined_do_not_retry") {
		t.Fatalf("reason %q, timeline:\n%s\nwant both to name Stripe's block", c.NextAction.Reason, tl)
	}
	if a := h.attempts(c, recoup.SourceRecoup); len(a) != 3 || !a[2].Decline.RetryBlocked() || a[2].Decline.NetworkStatus != "not_sent_to_network" {
		t.Fatalf("attempts %+v: the block is not kept in the ledger as such", a)
	}

	// The block says nothing about when the issuer would say yes: the timing model learns only
	// the two charges the issuer declined.
	if obs := h.observations(); len(obs) != 2 {
		t.Errorf("%d observations for the timing model, want 2: none from Stripe's block", len(obs))
	}

	// The stop is for that card: the customer's new card is charged at once.
	h.ingest("evt_2", "payment_method.attached", "pm_new", "cus_1")
	h.runDue()
	h.wantState("in_1", recoup.StateRecovered)
	if len(h.gw.calls) != 4 || h.gw.calls[3].PaymentMethodID != "pm_new" {
		t.Fatalf("calls %+v, want the new card charged", h.gw.calls)
	}
}
