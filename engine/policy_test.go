package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

const segmentPolicy = testPolicy + `
segments:
  - name: big
    when: invoice.amount_due >= 100000
    retry: {max_attempts: 1}
    final_action: mark_uncollectible
    manual_review: true
  - name: repeat
    when: customer.past_failures >= 1
    retry: {max_attempts: 2}
`

func TestCasesFollowTheRulesOfTheirSegment(t *testing.T) {
	h := newHarness(t, segmentPolicy)
	h.gw.failRenewal("in_big", "cus_1", 250_000, insufficient)
	h.gw.failRenewal("in_small", "cus_2", 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_big", "cus_1")
	h.ingest("evt_2", "invoice.payment_failed", "in_small", "cus_2")
	h.runDue()
	// A second failure of the same customer: past_failures is 1.
	h.gw.failRenewal("in_again", "cus_2", 2500, insufficient)
	h.ingest("evt_3", "invoice.payment_failed", "in_again", "cus_2")
	h.runDue()

	for inv, want := range map[string]string{"in_big": "big", "in_small": policy.DefaultSegment, "in_again": "repeat"} {
		c := h.caseOf(inv)
		if c.Segment != want {
			t.Errorf("%s: segment %q, want %q", inv, c.Segment, want)
		}
		var decided bool
		for _, e := range h.timeline(c) {
			if e.Kind == recoup.EntryDecision {
				decided = true
				if !strings.Contains(e.Summary, "[segment "+want+", policy "+h.eng.Policy().Version+"]") || !strings.Contains(string(e.Detail), `"segment":"`+want+`"`) {
					t.Errorf("%s: decision does not record segment and version: %s %s", inv, e.Summary, e.Detail)
				}
			}
		}
		if !decided {
			t.Errorf("%s: no decision", inv)
		}
	}

	h.advance(4 * 24 * time.Hour)
	// big: one charge, then its final action waits for approval instead of running.
	big := h.caseOf("in_big")
	if n := len(h.attempts(big, recoup.SourceRecoup)); n != 1 {
		t.Fatalf("big case made %d charges, want 1", n)
	}
	if big.Review != recoup.ReviewPending || !big.State.Active() || len(h.gw.written) != 0 {
		t.Fatalf("big case: review %q state %s, written %v; timeline:\n%s", big.Review, big.State, h.gw.written, dump(h.timeline(big)))
	}
	// The others follow the default schedule (4 attempts) or their segment's (2).
	if n := len(h.attempts(h.caseOf("in_small"), recoup.SourceRecoup)); n != 2 {
		t.Errorf("default case made %d charges by day 4, want 2", n)
	}
	again := h.wantState("in_again", recoup.StateExhausted)
	if n := len(h.attempts(again, recoup.SourceRecoup)); n != 2 || again.FinalAction != recoup.FinalCancelSubscription {
		t.Errorf("repeat case: %d charges, final action %q, want 2 and cancel_subscription", n, again.FinalAction)
	}
}

func TestManualReviewWaitsForApproval(t *testing.T) {
	h := newHarness(t, segmentPolicy)
	h.gw.failRenewal("in_big", "cus_1", 250_000, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_big", "cus_1")
	h.advance(30 * 24 * time.Hour)
	c := h.caseOf("in_big")
	if c.Review != recoup.ReviewPending || len(h.gw.written) != 0 {
		t.Fatalf("after 30 days: review %q, written %v", c.Review, h.gw.written)
	}
	if err := h.eng.Approve(h.ctx, h.now, c.ID, ""); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Fatalf("approval without a name: %v", err)
	}
	if err := h.eng.Approve(h.ctx, h.now, c.ID, "ops@example.com"); err != nil {
		t.Fatal(err)
	}
	h.runDue()
	c = h.wantState("in_big", recoup.StateExhausted)
	if c.Review != recoup.ReviewApproved || c.ReviewedBy != "ops@example.com" || c.FinalAction != recoup.FinalMarkUncollectible || len(h.gw.written) != 1 {
		t.Fatalf("after approval: %+v, written %v", c, h.gw.written)
	}
	if err := h.eng.Approve(h.ctx, h.now, c.ID, "ops@example.com"); recoup.ErrorCode(err) != recoup.ECONFLICT {
		t.Fatalf("a second approval: %v, want a conflict", err)
	}
	tl := dump(h.timeline(c))
	for _, want := range []string{"awaits an operator's approval", "final action approved by ops@example.com", "final action: invoice marked uncollectible"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
}

func TestFinalActions(t *testing.T) {
	for _, tc := range []struct {
		action string
		called func(g *fakeGateway) []string
		want   string // what the gateway was called with
	}{
		{"cancel_subscription", func(g *fakeGateway) []string { return g.canceled }, "sub_in_1"},
		{"cancel_at_period_end", func(g *fakeGateway) []string { return g.atPeriodEnd }, "sub_in_1"},
		{"pause_collection", func(g *fakeGateway) []string { return g.paused }, "sub_in_1"},
		{"mark_uncollectible", func(g *fakeGateway) []string { return g.written }, "in_1"},
		{"leave_past_due", func(g *fakeGateway) []string {
			return append(append(append(g.canceled, g.atPeriodEnd...), g.paused...), g.written...)
		}, ""},
	} {
		t.Run(tc.action, func(t *testing.T) {
			h := newHarness(t, strings.Replace(testPolicy, "final_action: cancel_subscription", "final_action: "+tc.action+"\nfinal_after: 20d", 1))
			h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
			h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
			h.advance(19 * 24 * time.Hour)
			if got := tc.called(h.gw); len(got) != 0 {
				t.Fatalf("final action ran before final_after: %v", got)
			}
			h.advance(2 * 24 * time.Hour)
			c := h.wantState("in_1", recoup.StateExhausted)
			got := strings.Join(tc.called(h.gw), ",")
			if got != tc.want || c.FinalAction != recoup.FinalAction(tc.action) {
				t.Fatalf("gateway called with %q, want %q; case final action %q", got, tc.want, c.FinalAction)
			}
		})
	}
}

const observePolicy = `
mode: observe
timezone: UTC
retry: {schedule_days: [0, 3, 7], hour: 10, max_attempts: 3, min_gap: 1h}
customer_wait: 10d
final_action: cancel_subscription
campaign:
  hour: 9
  steps:
    - {day: 1, template: reminder, tone: gentle}
    - {day: 5, template: update_card, tone: helpful}
`

// Observe-only mode, against the stateful fake Stripe: recoup reads but never makes a mutating
// call, sends nothing, and records what it would have done next to what Stripe did.
func TestObserveOnlyActsOnNothing(t *testing.T) {
	h := newHarness(t, observePolicy)
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return h.now }}).Start()
	t.Cleanup(fake.Close)
	gw, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_observe", APIBase: fake.URL(), MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: gw, Notifier: h.notes, Policy: h.eng.Policy()})
	r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds"),
		Behaviour: stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))})
	if err != nil {
		t.Fatal(err)
	}
	h.ingest("evt_1", "invoice.payment_failed", r.InvoiceID, r.CustomerID)
	h.advance(4 * 24 * time.Hour)
	// Stripe's own retry fails on day 4; recoup records it.
	if paid, err := fake.AutoRetry(r.InvoiceID); err != nil || paid {
		t.Fatalf("Stripe's retry: %v %v", paid, err)
	}
	h.ingest("evt_2", "invoice.payment_failed", r.InvoiceID, r.CustomerID)
	h.advance(20 * 24 * time.Hour)

	reqs := fake.Requests()
	if len(reqs) < 5 {
		t.Fatalf("only %d requests reached the fake: the test proves nothing", len(reqs))
	}
	for _, req := range reqs {
		if req.Method != "GET" {
			t.Errorf("observe-only made a mutating call: %s %s", req.Method, req.Path)
		}
	}
	if len(h.notes.sent) != 0 {
		t.Errorf("observe-only sent %d messages", len(h.notes.sent))
	}
	if s := fake.SubscriptionStatus(r.SubscriptionID); s != "past_due" {
		t.Errorf("subscription is %s, want past_due (untouched)", s)
	}
	c := h.wantState(r.InvoiceID, recoup.StateExhausted)
	if c.FinalAction != "" || c.Attempts != 0 || c.ShadowCharges != 3 {
		t.Errorf("case: final action %q, charges %d, would-be charges %d; want none, 0, 3", c.FinalAction, c.Attempts, c.ShadowCharges)
	}
	if n := len(h.attempts(c, recoup.SourceStripe)); n != 2 {
		t.Errorf("%d Stripe attempts recorded, want 2", n)
	}
	tl := dump(h.timeline(c))
	for _, want := range []string{"observe-only: would retry", "observe-only: would charge 20.00 USD now (charge 1)",
		"observe-only: would send message 0 by email: reminder (gentle); not sent", "observe-only: would run the final action cancel_subscription",
		"Stripe attempt 2 declined"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	// The customer pays after recoup would have given up: the case still sees it.
	if err := fake.SetPaymentMethodBehaviour(r.PaymentMethodID, stripefake.Succeed()); err != nil {
		t.Fatal(err)
	}
	if err := fake.PayByCustomer(r.InvoiceID, r.PaymentMethodID); err != nil {
		t.Fatal(err)
	}
	h.ingest("evt_3", "invoice.paid", r.InvoiceID, r.CustomerID)
	h.runDue()
	h.wantState(r.InvoiceID, recoup.StateRecovered)
}

// A wait for a new card that ends before final_after does not run the final action early.
func TestFinalAfterHoldsAWaitThatEndsEarly(t *testing.T) {
	h := newHarness(t, strings.Replace(testPolicy, "final_action: cancel_subscription", "final_action: mark_uncollectible\nfinal_after: 30d", 1))
	h.gw.failRenewal("in_1", "cus_1", 2500, stolen)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(29 * 24 * time.Hour) // customer_wait (10d) ended long ago
	if c := h.caseOf("in_1"); len(h.gw.written) != 0 || !c.State.Active() {
		t.Fatalf("final action before final_after: %v; timeline:\n%s", h.gw.written, dump(h.timeline(c)))
	}
	h.advance(2 * 24 * time.Hour)
	c := h.wantState("in_1", recoup.StateExhausted)
	if len(h.gw.written) != 1 || !strings.Contains(dump(h.timeline(c)), "(final_after 30d)") {
		t.Fatalf("written %v; timeline:\n%s", h.gw.written, dump(h.timeline(c)))
	}
}

// A pending approval is withdrawn when recovery resumes (a new card), so the flag never shows
// a final action that is no longer due.
func TestReviewWithdrawnWhenRecoveryResumes(t *testing.T) {
	h := newHarness(t, segmentPolicy)
	h.gw.failRenewal("in_big", "cus_1", 250_000, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_big", "cus_1")
	h.advance(5 * 24 * time.Hour)
	if c := h.caseOf("in_big"); c.Review != recoup.ReviewPending {
		t.Fatalf("review %q", c.Review)
	}
	h.gw.script("in_big", nil) // the new card pays
	h.ingest("evt_2", "payment_method.attached", "pm_new", "cus_1")
	h.runDue()
	c := h.caseOf("in_big")
	if c.Review != "" || c.State != recoup.StateRecovered || c.RecoveredBy != recoup.ByCustomerNewCard {
		t.Fatalf("review %q, state %s; timeline:\n%s", c.Review, c.State, dump(h.timeline(c)))
	}
}

// A win-back message is a campaign step whose day falls after the final action: messages go on
// while the invoice is unpaid.
func TestWinBackStepAfterTheFinalAction(t *testing.T) {
	h := newHarness(t, testPolicy+"campaign:\n  hour: 9\n  steps:\n    - {day: 40, template: win_back, tone: gentle}\n")
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(20 * 24 * time.Hour)
	h.wantState("in_1", recoup.StateExhausted)
	if len(h.gw.canceled) != 1 || len(h.notes.sent) != 0 {
		t.Fatalf("canceled %v, sent %d", h.gw.canceled, len(h.notes.sent))
	}
	h.advance(25 * 24 * time.Hour)
	if len(h.notes.sent) != 1 || h.notes.sent[0].Template != "win_back" {
		t.Fatalf("win-back not sent: %+v", h.notes.sent)
	}
}

// In observe mode a new payment method is charged at once, on paper: the would-be charge uses
// the news up as a declined charge would, instead of planning "at once" on it again forever.
func TestObserveOnlyNewCardOnce(t *testing.T) {
	h := newHarness(t, observePolicy)
	h.gw.failRenewal("in_1", "cus_1", 2000, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(time.Hour)
	h.newDefault("evt_2", "cus_1", "pm_new")
	h.advance(time.Hour) // runDue fails the test if jobs keep enqueuing jobs
	c := h.caseOf("in_1")
	if c.ShadowCharges != 2 || c.NewPaymentMethodID != "" || c.Attempts != 0 {
		t.Fatalf("would-be charges %d, new card %q, charges %d; want 2 (day 0 and the new card), none, 0; timeline:\n%s", c.ShadowCharges, c.NewPaymentMethodID, c.Attempts, dump(h.timeline(c)))
	}
}
