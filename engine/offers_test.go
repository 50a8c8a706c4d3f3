package engine_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
)

const offersPolicy = planPolicy + "offers: [pay_now, payment_plan, cheaper_plan, pause]\n"

func TestOffersFollowThePolicyAndTheCase(t *testing.T) {
	w := newPlanWorldWith(t, offersPolicy)
	if got, want := w.eng.Offers(w.c, w.now), recoup.AllOffers; !slices.Equal(got, want) {
		t.Errorf("Offers = %v, want %v", got, want)
	}
	small := w.c
	small.Amount.Amount = 10_000 // under the plan's 500.00
	if got := w.eng.Offers(small, w.now); slices.Contains(got, recoup.OfferPaymentPlan) {
		t.Errorf("an invoice too small for the plan is offered one: %v", got)
	}
	noSub := w.c
	noSub.SubscriptionID = ""
	if got := w.eng.Offers(noSub, w.now); !slices.Equal(got, []recoup.Offer{recoup.OfferPayNow, recoup.OfferPaymentPlan}) {
		t.Errorf("an invoice without a subscription: %v", got)
	}
	done := w.c
	done.State = recoup.StateRecovered
	if got := w.eng.Offers(done, w.now); got != nil {
		t.Errorf("a recovered case is offered %v", got)
	}
	plain := newPlanWorld(t) // the policy offers nothing
	if got := plain.eng.Offers(plain.c, plain.now); got != nil {
		t.Errorf("a policy without offers: %v", got)
	}
}

// The customer's pause holds the case before Stripe is called; a failed call leaves it paused
// (nothing charged) and trying again completes it with the same key, once.
func TestCustomerPause(t *testing.T) {
	w := newPlanWorldWith(t, offersPolicy)
	w.fake.FailNextRequests(1, 500)
	if err := w.eng.CustomerPause(w.ctx, w.now, w.c.ID); err == nil || !strings.Contains(err.Error(), "trying again is safe") {
		t.Fatalf("CustomerPause with Stripe down: %v", err)
	}
	c := w.wantState(w.r.InvoiceID, recoup.StatePaused)
	if c.NextAction != nil {
		t.Errorf("the paused case still plans %+v", c.NextAction)
	}
	if b := w.fake.PauseCollection(w.r.SubscriptionID); b != "" {
		t.Fatalf("paused in Stripe despite the error: %q", b)
	}
	for range 2 {
		if err := w.eng.CustomerPause(w.ctx, w.now, w.c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if b := w.fake.PauseCollection(w.r.SubscriptionID); b != "void" {
		t.Errorf("pause_collection = %q, want void", b)
	}
	var asked int
	for _, e := range w.timeline(c) {
		if e.Kind == recoup.EntryAction && strings.Contains(e.Summary, engine.CustomerActor+" asked to pause") {
			asked++
		}
	}
	if asked != 1 {
		t.Errorf("the pause is on the timeline %d times, want once", asked)
	}
	// Nothing runs on the paused case.
	w.advance(30 * 24 * time.Hour)
	if n := w.fake.SucceededCharges(w.r.InvoiceID); n != 0 {
		t.Errorf("charged %d times while paused", n)
	}
	w.wantState(w.r.InvoiceID, recoup.StatePaused)
}

// The customer's payment plan is the operator's path: the invoice is settled and replaced by
// the parts once, whatever the number of clicks.
func TestCustomerAcceptsThePaymentPlan(t *testing.T) {
	w := newPlanWorldWith(t, offersPolicy)
	ids, err := w.eng.StartPaymentPlan(w.ctx, w.now, w.c.ID, engine.CustomerActor)
	if err != nil || len(ids) != 3 {
		t.Fatalf("plan: %v %v", ids, err)
	}
	if _, err := w.eng.StartPaymentPlan(w.ctx, w.now, w.c.ID, engine.CustomerActor); recoup.ErrorCode(err) != recoup.ECONFLICT {
		t.Errorf("a second click: %v, want ECONFLICT (already replaced)", err)
	}
	if n := len(w.parts()); n != 3 {
		t.Errorf("%d parts, want 3", n)
	}
	if got := w.eng.Offers(w.caseOf(w.r.InvoiceID), w.now); got != nil {
		t.Errorf("the replaced case is still offered %v", got)
	}
}
