package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

const testPolicy = `
timezone: UTC
retry:
  schedule_days: [0, 3, 7, 15]
  hour: 10
  max_attempts: 4
  min_gap: 1h
  error_delay: 15m
  error_limit: 2
customer_wait: 10d
final_action: cancel_subscription
`

var (
	insufficient = &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds"}
	stolen       = &recoup.Decline{Code: "card_declined", DeclineCode: "stolen_card"}
	expired      = &recoup.Decline{Code: "expired_card"}
)

func TestRetriesUntilRecovered(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.gw.script("in_1", insufficient, insufficient, nil) // the third retry pays
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()

	c := h.wantState("in_1", recoup.StateScheduled)
	if c.Category != recoup.CategoryFunds || c.Amount != (recoup.Money{Amount: 2500, Currency: "usd"}) {
		t.Fatalf("case %+v", c)
	}
	// Failed at 14:00 on day 0; the day-0 slot (10:00) has passed, so the first retry keeps the
	// 1h gap; then days 3 and 7 at 10:00.
	if want := h.now.Add(time.Hour); !c.NextAction.At.Equal(want) {
		t.Fatalf("first retry at %v, want %v", c.NextAction.At, want)
	}
	h.advance(30 * 24 * time.Hour)
	c = h.wantState("in_1", recoup.StateRecovered)
	if c.RecoveredBy != recoup.ByRecoupRetry || h.gw.charges["in_1"] != 1 {
		t.Fatalf("recovered by %s with %d charges", c.RecoveredBy, h.gw.charges["in_1"])
	}
	var times []string
	for _, a := range h.attempts(c, recoup.SourceRecoup) {
		times = append(times, a.StartedAt.Format("Jan 2 15:04"))
	}
	if got, want := strings.Join(times, ", "), "Mar 2 15:00, Mar 5 10:00, Mar 9 10:00"; got != want {
		t.Fatalf("charges at %s, want %s", got, want)
	}
	if stripe := h.attempts(c, recoup.SourceStripe); len(stripe) != 1 || stripe[0].Decline.DeclineCode != "insufficient_funds" {
		t.Fatalf("Stripe's own failed attempt not recorded: %+v", stripe)
	}
	var decisions int
	for _, e := range h.timeline(c) {
		if e.Kind == recoup.EntryDecision {
			decisions++
			if !strings.Contains(e.Summary, "of the schedule") || len(e.Detail) == 0 {
				t.Errorf("decision without reason or inputs: %s", e.Summary)
			}
		}
	}
	if decisions != 3 {
		t.Fatalf("%d decisions, want 3:\n%s", decisions, dump(h.timeline(c)))
	}
	if len(h.pending()) != 0 {
		t.Fatalf("jobs left after recovery: %+v", h.pending())
	}
}

func TestScheduleExhaustedRunsFinalAction(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 900, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(60 * 24 * time.Hour)
	c := h.wantState("in_1", recoup.StateExhausted)
	if n := len(h.attempts(c, recoup.SourceRecoup)); n != 4 {
		t.Fatalf("%d charges, want max_attempts 4", n)
	}
	if c.FinalAction != recoup.FinalCancelSubscription || len(h.gw.canceled) != 1 || h.gw.canceled[0] != "sub_in_1" {
		t.Fatalf("final action %q, canceled %v", c.FinalAction, h.gw.canceled)
	}
}

func TestHardDeclineNeverRetried(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 900, stolen)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateAwaitingCustomer)
	if c.Category != recoup.CategoryHard || c.NextAction.Kind != recoup.ActionFinal {
		t.Fatalf("case %+v next %+v", c, c.NextAction)
	}
	h.advance(30 * 24 * time.Hour)
	c = h.wantState("in_1", recoup.StateExhausted)
	if len(h.gw.calls) != 0 {
		t.Fatalf("a stolen card was charged %d times", len(h.gw.calls))
	}
	if want := c.FirstFailedAt.Add(10 * 24 * time.Hour); !c.ResolvedAt.Equal(want) {
		t.Fatalf("final action at %v, want the end of customer_wait %v", c.ResolvedAt, want)
	}
}

func TestNewPaymentMethodRetriesAtOnce(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 4200, expired)
	h.gw.script("in_1", nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	h.wantState("in_1", recoup.StateAwaitingCustomer)

	h.advance(26 * time.Hour)
	h.ingest("evt_2", "payment_method.attached", "pm_new", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateRecovered)
	if len(h.gw.calls) != 1 || h.gw.calls[0].PaymentMethodID != "pm_new" {
		t.Fatalf("calls %+v, want one charge on pm_new", h.gw.calls)
	}
	if c.RecoveredBy != recoup.ByCustomerNewCard {
		t.Fatalf("recovered by %s, want the customer's new card", c.RecoveredBy)
	}
}

// A case short of funds whose retry comes back expired_card changes strategy at once: no more
// charges of that card, the customer is waited for, and their new card is charged at once.
func TestCaseTurningToAnExpiredCardWaitsForTheCustomer(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.gw.script("in_1", expired, nil) // the first retry finds the card expired; the new card pays
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateScheduled)
	if c.Category != recoup.CategoryFunds {
		t.Fatalf("category %s, want funds", c.Category)
	}

	h.advance(5 * 24 * time.Hour) // past the first retry and the day-3 slot
	c = h.wantState("in_1", recoup.StateAwaitingCustomer)
	if c.Category != recoup.CategoryCustomerFix || c.NextAction == nil || c.NextAction.Kind != recoup.ActionFinal {
		t.Fatalf("after expired_card: category %s, next %+v; timeline:\n%s", c.Category, c.NextAction, dump(h.timeline(c)))
	}
	if len(h.gw.calls) != 1 {
		t.Fatalf("%d charges, want the one that found the card expired", len(h.gw.calls))
	}

	h.ingest("evt_2", "payment_method.attached", "pm_new", "cus_1")
	h.runDue() // the clock does not move: only what is due now runs
	c = h.wantState("in_1", recoup.StateRecovered)
	if len(h.gw.calls) != 2 || h.gw.calls[1].PaymentMethodID != "pm_new" {
		t.Fatalf("calls %+v, want the new card charged at once", h.gw.calls)
	}
}

func TestDuplicateAndOutOfOrderEvents(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 1000, insufficient)
	if !h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1") {
		t.Fatal("first delivery not inserted")
	}
	if h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1") {
		t.Fatal("duplicate delivery inserted")
	}
	h.runDue()
	c := h.caseOf("in_1")
	before := len(h.timeline(c))
	// The same failure, seen through another event: nothing new to record or plan.
	h.ingest("evt_2", "invoice.updated", "in_1", "cus_1") // not handled: stored as ignored
	h.ingest("evt_3", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c2 := h.caseOf("in_1")
	if c2.PlanSeq != c.PlanSeq || len(h.attempts(c2, recoup.SourceStripe)) != 1 {
		t.Fatalf("a repeated observation re-planned (seq %d -> %d) or re-recorded attempts", c.PlanSeq, c2.PlanSeq)
	}
	if got := len(h.timeline(c2)); got != before+1 {
		t.Fatalf("timeline grew by %d, want 1 (the event itself)", got-before)
	}
	ev, err := h.store.Event(h.ctx, "evt_2")
	if err != nil || ev.Status != recoup.EventIgnored {
		t.Fatalf("unknown type: %+v %v", ev, err)
	}
	// Each processed event's status is recorded with the observation it led to.
	for _, id := range []string{"evt_1", "evt_3"} {
		if ev, err := h.store.Event(h.ctx, id); err != nil || ev.Status != recoup.EventProcessed || !ev.ProcessedAt.Equal(h.now) {
			t.Fatalf("%s: %+v %v", id, ev, err)
		}
	}

	// Paid arrives before failed for another invoice: the re-read shows it paid, no case.
	h.gw.failRenewal("in_2", "cus_2", 1000, insufficient)
	h.gw.payByCustomer("in_2", "pm_old")
	h.ingest("evt_4", "invoice.paid", "in_2", "cus_2")
	h.ingest("evt_5", "invoice.payment_failed", "in_2", "cus_2")
	h.runDue()
	page, _ := h.store.Cases(h.ctx, recoup.CaseFilter{})
	if len(page.Cases) != 1 {
		t.Fatalf("%d cases, want only in_1's", len(page.Cases))
	}
}

func TestPaidElsewhereRecordsWho(t *testing.T) {
	for _, tc := range []struct {
		name string
		pay  func(g *fakeGateway)
		want recoup.RecoveredBy
	}{
		{"customer with a new card", func(g *fakeGateway) { g.payByCustomer("in_1", "pm_other") }, recoup.ByCustomerPaid},
		{"stripe retry on the same card", func(g *fakeGateway) { g.payByCustomer("in_1", "pm_old") }, recoup.ByStripeRetry},
		{"out of band", func(g *fakeGateway) { g.payByCustomer("in_1", ""); g.invoices["in_1"].PaidOutOfBand = true }, recoup.ByOutOfBand},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testPolicy)
			h.gw.failRenewal("in_1", "cus_1", 1000, insufficient)
			h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
			h.runDue()
			tc.pay(h.gw)
			h.ingest("evt_2", "invoice.paid", "in_1", "cus_1")
			h.runDue()
			if c := h.wantState("in_1", recoup.StateRecovered); c.RecoveredBy != tc.want {
				t.Fatalf("recovered by %s, want %s", c.RecoveredBy, tc.want)
			}
			h.advance(30 * 24 * time.Hour) // the planned retry finds nothing to do
			if len(h.gw.calls) != 0 {
				t.Fatalf("charged a paid invoice: %+v", h.gw.calls)
			}
		})
	}
}

func TestClosedByStripe(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 1000, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	h.gw.invoices["in_1"].Status = recoup.InvoiceVoid
	h.ingest("evt_2", "invoice.voided", "in_1", "cus_1")
	h.runDue()
	if c := h.wantState("in_1", recoup.StateClosed); !strings.Contains(c.ClosedReason, "voided") {
		t.Fatalf("reason %q", c.ClosedReason)
	}

	h.gw.failRenewal("in_2", "cus_2", 1000, insufficient)
	h.ingest("evt_3", "invoice.payment_failed", "in_2", "cus_2")
	h.runDue()
	h.ingest("evt_4", "customer.subscription.deleted", "sub_in_2", "cus_2")
	h.runDue()
	h.wantState("in_2", recoup.StateClosed)
	h.advance(30 * 24 * time.Hour)
	if len(h.gw.calls) != 0 {
		t.Fatalf("charged a closed case: %+v", h.gw.calls)
	}
}

// crash stands for the process dying: the fake gateway panics and nothing after it runs.
type crash struct{}

// runCrashing runs a job through a simulated process death and reports whether it died.
func (h *harness) runCrashing(j recoup.Job) (died bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crash); !ok {
				panic(r)
			}
			died = true
		}
	}()
	if err := h.run(j); err != nil {
		h.t.Fatalf("job %+v: %v", j, err)
	}
	return false
}

// crashDuringCharge opens a case for in_1 whose first retry has the given outcome, installs a
// crash at the hook set chooses (before or after the call), runs the retry's job into the crash
// and returns that job, for the test to run again as River would.
func (h *harness) crashDuringCharge(outcome any, set func(*fakeGateway, func(recoup.PayRequest) error)) recoup.Job {
	h.t.Helper()
	h.gw.failRenewal("in_1", "cus_1", 1000, insufficient)
	h.gw.script("in_1", outcome)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	crashed := false
	set(h.gw, func(recoup.PayRequest) error {
		if !crashed {
			crashed = true
			panic(crash{})
		}
		return nil
	})
	h.now = h.caseOf("in_1").NextAction.At
	job, _ := h.take(func(j recoup.Job) bool { return j.Kind == recoup.JobAct })
	if !h.runCrashing(job) {
		h.t.Fatal("the process did not die")
	}
	return job
}

func TestCrashBeforeTheCallChargesOnce(t *testing.T) {
	h := newHarness(t, testPolicy)
	// The attempt is recorded; the call never leaves.
	job := h.crashDuringCharge(nil, func(g *fakeGateway, f func(recoup.PayRequest) error) { g.beforePay = f })
	c := h.wantState("in_1", recoup.StateRetrying)
	if a := h.attempts(c, recoup.SourceRecoup); len(a) != 1 || a[0].Status != recoup.AttemptPending {
		t.Fatalf("attempt not recorded before the call: %+v", a)
	}
	// The job queue retries the job (River, after the process restarts).
	if err := h.run(job); err != nil {
		t.Fatal(err)
	}
	c = h.wantState("in_1", recoup.StateRecovered)
	if h.gw.charges["in_1"] != 1 || len(h.attempts(c, recoup.SourceRecoup)) != 1 {
		t.Fatalf("charges %d attempts %d", h.gw.charges["in_1"], len(h.attempts(c, recoup.SourceRecoup)))
	}
}

func TestCrashAfterTheCallChargesOnce(t *testing.T) {
	for _, outcome := range []any{nil, insufficient} {
		h := newHarness(t, testPolicy)
		// Stripe answered; the outcome was never recorded.
		job := h.crashDuringCharge(outcome, func(g *fakeGateway, f func(recoup.PayRequest) error) { g.afterPay = f })
		c := h.caseOf("in_1")
		if c.State != recoup.StateRetrying {
			t.Fatalf("after the crash the case is %s, want retrying", c.State)
		}
		h.now = h.now.Add(time.Minute)
		if err := h.run(job); err != nil { // River's retry of the job
			t.Fatal(err)
		}
		c = h.caseOf("in_1")
		if h.gw.charges["in_1"] > 1 {
			t.Fatalf("charged %d times", h.gw.charges["in_1"])
		}
		if a := h.attempts(c, recoup.SourceRecoup); len(a) != 1 || a[0].Status == recoup.AttemptPending {
			t.Fatalf("attempts %+v: want the one charge, resolved", a)
		}
		if outcome != nil && (len(h.gw.calls) != 2 || h.gw.calls[0].IdempotencyKey != h.gw.calls[1].IdempotencyKey) {
			t.Fatalf("the resumed charge must re-send the same key: %+v", h.gw.calls)
		}
		if outcome == nil && (c.State != recoup.StateRecovered || c.RecoveredBy != recoup.ByRecoupRetry) {
			t.Fatalf("paid charge: case %s by %s", c.State, c.RecoveredBy)
		}
		if outcome != nil && c.State != recoup.StateScheduled {
			t.Fatalf("declined charge: case %s\n%s", c.State, dump(h.timeline(c)))
		}
	}
}

func TestStripeErrorRetriesSoonWithANewKey(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 1000, insufficient)
	h.gw.script("in_1", errUnavailable, nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	first := h.caseOf("in_1").NextAction.At
	h.advance(first.Sub(h.now) + 2*time.Hour)
	c := h.wantState("in_1", recoup.StateRecovered)
	a := h.attempts(c, recoup.SourceRecoup)
	if len(a) != 2 || a[0].Status != recoup.AttemptError || a[1].Status != recoup.AttemptSucceeded || a[0].IdempotencyKey == a[1].IdempotencyKey {
		t.Fatalf("attempts %+v", a)
	}
	if gap := a[1].StartedAt.Sub(a[0].StartedAt); gap != time.Hour {
		t.Fatalf("retry after %s, want error_delay 15m held to min_gap 1h", gap)
	}
}

func TestStaleActJobDoesNothing(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 1000, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.caseOf("in_1")
	if err := h.eng.Act(h.ctx, h.now, c.ID, c.PlanSeq-1); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.Act(h.ctx, h.now, c.ID, c.PlanSeq+5); err != nil {
		t.Fatal(err)
	}
	if got := h.caseOf("in_1"); got.State != c.State || got.Version != c.Version || len(h.gw.calls) != 0 {
		t.Fatalf("stale jobs changed the case: %+v", got)
	}
}

func TestPaymentMethodNewsMustBeNew(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 4200, expired)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateAwaitingCustomer)

	// The card that failed, set as default again: nothing new.
	h.ingest("evt_2", "payment_method.attached", "pm_old", "cus_1")
	// A card attached before the failure, its event delivered late: nothing new.
	late := &recoup.Event{ID: "evt_3", Type: "payment_method.attached", ObjectID: "pm_before", CustomerID: "cus_1",
		Created: c.FirstFailedAt.Add(-time.Minute), Payload: []byte(`{}`)}
	if _, err := h.eng.Ingest(h.ctx, h.now, late); err != nil {
		t.Fatal(err)
	}
	h.runDue()
	if got := h.wantState("in_1", recoup.StateAwaitingCustomer); got.PlanSeq != c.PlanSeq || len(h.gw.calls) != 0 {
		t.Fatalf("re-planned on old news: %+v calls %v", got, h.gw.calls)
	}
	// The card updater refreshed the same card: that is news.
	h.gw.script("in_1", nil)
	h.ingest("evt_4", "payment_method.automatically_updated", "pm_old", "cus_1")
	h.runDue()
	if c := h.wantState("in_1", recoup.StateRecovered); c.RecoveredBy != recoup.ByCardUpdater {
		t.Fatalf("recovered by %s, want the card updater", c.RecoveredBy)
	}
}

// Found by the simulator: the customer tries another card on the hosted page and it is short of
// funds. The invoice's latest decline is now insufficient_funds, but a retry would charge the
// default card, which is still the stolen one: no retry until a new default arrives.
func TestHardDeclineOnTheDefaultCardOutlivesLaterDeclines(t *testing.T) {
	h := newHarness(t, testPolicy)
	h.gw.failRenewal("in_1", "cus_1", 900, stolen)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	h.now = h.now.Add(time.Hour)
	h.gw.failedOn("in_1", "pm_other", insufficient) // the customer tried another card
	h.ingest("evt_2", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(30 * 24 * time.Hour)
	c := h.wantState("in_1", recoup.StateExhausted)
	if len(h.gw.calls) != 0 {
		t.Fatalf("charged %d times after a stolen-card decline; timeline:\n%s", len(h.gw.calls), dump(h.timeline(c)))
	}
	if tl := dump(h.timeline(c)); !strings.Contains(tl, "network guard") {
		t.Fatalf("the timeline does not say why:\n%s", tl)
	}
}

// Found by the simulator, like the test above: Mastercard's advice to wait (MAC 26: two days)
// holds for the card even when a later decline on another card carries no such advice.
func TestMerchantAdviceWaitOutlivesLaterDeclines(t *testing.T) {
	h := newHarness(t, testPolicy)
	mac26 := &recoup.Decline{Code: "card_declined", DeclineCode: "do_not_honor", NetworkAdviceCode: "26", CardBrand: "mastercard"}
	h.gw.failRenewal("in_1", "cus_1", 900, mac26)
	failed := h.now
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	h.now = h.now.Add(time.Hour)
	h.gw.failedOn("in_1", "pm_other", insufficient) // the customer tried another card
	h.ingest("evt_2", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateScheduled)
	if want := failed.Add(48 * time.Hour); c.NextAction.At.Before(want) {
		t.Fatalf("retry planned at %v, before MAC 26's wait ends at %v; timeline:\n%s", c.NextAction.At, want, dump(h.timeline(c)))
	}
}
