package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/expreport"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/stripeapi"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// Experiments through the engine: a case takes its arm when it opens, the customer keeps it,
// the arm's rules plan the case, and a control case is left to Stripe.

// experimentPolicy is testPolicy with an experiment: the control, and two policy arms, one of
// which retries on other days.
func experimentPolicy(weights [3]int) string {
	return testPolicy + fmt.Sprintf(`campaign:
  hour: 9
  steps:
    - {day: 1, template: reminder, tone: gentle}
experiment:
  name: recoup-vs-stripe
  unit: customer
  arms:
    - {name: stripe, stripe: true, weight: %d}
    - {name: recoup, weight: %d}
    - name: patient
      weight: %d
      retry: {schedule_days: [0, 5, 10, 20]}
`, weights[0], weights[1], weights[2])
}

func parsePolicy(t *testing.T, yaml string) *policy.Policy {
	t.Helper()
	p, err := policy.ParseWith("test.yaml", []byte(yaml), policy.Options{Templates: append(policy.BuiltinTemplates(), "reminder")})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// customerIn returns a customer id the experiment puts in the arm, and one it does not.
func customerIn(t *testing.T, x *policy.Experiment, arm string, skip map[string]bool) string {
	t.Helper()
	for i := range 1000 {
		id := fmt.Sprintf("cus_%d", i)
		if !skip[id] && x.Assign(id, nil).Name == arm {
			return id
		}
	}
	t.Fatalf("no customer in arm %s", arm)
	return ""
}

// The arm is the hash's for a new customer, recorded on the case with words on its timeline;
// a customer's second invoice lands in the same arm after the weights changed, while a new
// customer follows the new weights; a reload that removes the arm leaves the case its arm.
func TestArmAssignmentIsDeterministicAndSticky(t *testing.T) {
	h := newHarness(t, experimentPolicy([3]int{1, 1, 1}))
	even := h.eng.Policy().Experiment
	shifted := parsePolicy(t, experimentPolicy([3]int{1, 1000, 1}))
	// A customer whom the even split puts in the control and the shifted one would not.
	var cus string
	for i := range 1000 {
		id := fmt.Sprintf("cus_%d", i)
		if even.Assign(id, nil).Name == "stripe" && shifted.Experiment.Assign(id, nil).Name == "recoup" {
			cus = id
			break
		}
	}
	if cus == "" {
		t.Fatal("no customer moved by the weights")
	}
	h.gw.failRenewal("in_1", cus, 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", cus)
	h.runDue()
	c := h.caseOf("in_1")
	if c.Experiment != "recoup-vs-stripe" || c.Arm != "stripe" {
		t.Fatalf("case in experiment %q arm %q, want recoup-vs-stripe, stripe", c.Experiment, c.Arm)
	}
	tl := dump(h.timeline(c))
	want := "in arm stripe of experiment recoup-vs-stripe: customers are split 33.3/33.3/33.3 (stripe/recoup/patient) by a hash of their id; this customer was assigned on 2 Mar 2026. This is the control"
	if !strings.Contains(tl, want) {
		t.Errorf("timeline lacks %q:\n%s", want, tl)
	}
	// The arm is recorded before any plan: the entry right after the opening.
	if entries := h.timeline(c); len(entries) < 2 || !strings.HasPrefix(entries[1].Summary, "in arm stripe") {
		t.Errorf("the arm is not the second entry:\n%s", tl)
	}

	h.eng.SetPolicy(shifted)
	h.advance(40 * 24 * time.Hour)
	h.gw.failRenewal("in_2", cus, 2500, insufficient)
	h.ingest("evt_2", "invoice.payment_failed", "in_2", cus)
	newcomer := customerIn(t, shifted.Experiment, "recoup", map[string]bool{cus: true})
	h.gw.failRenewal("in_3", newcomer, 2500, insufficient)
	h.ingest("evt_3", "invoice.payment_failed", "in_3", newcomer)
	h.runDue()
	second := h.caseOf("in_2")
	if second.Arm != "stripe" {
		t.Errorf("the customer's second invoice is in arm %q, want stripe (sticky)", second.Arm)
	}
	if tl := dump(h.timeline(second)); !strings.Contains(tl, "this customer was assigned on 2 Mar 2026, when the arm had 33.3% of them, and stays in it") {
		t.Errorf("second case's timeline:\n%s", tl)
	}
	if got := h.caseOf("in_3").Arm; got != "recoup" {
		t.Errorf("a new customer is in arm %q, want recoup (the new weights)", got)
	}

	// A reload that removes the arms: the open case keeps its arm's name and is planned by
	// its segment's rules (act mode: it is charged now).
	h.eng.SetPolicy(parsePolicy(t, testPolicy))
	h.advance(4 * 24 * time.Hour)
	second = h.caseOf("in_2")
	if second.Arm != "stripe" || second.Attempts == 0 {
		t.Errorf("after the experiment was removed: arm %q, %d charges; want stripe, charged", second.Arm, second.Attempts)
	}
}

// An arm's rules plan its cases: the patient arm retries on its own days, the recoup arm on
// the policy's.
func TestArmOverridesChangeThePlan(t *testing.T) {
	h := newHarness(t, experimentPolicy([3]int{1, 1, 1}))
	x := h.eng.Policy().Experiment
	plain := customerIn(t, x, "recoup", nil)
	patient := customerIn(t, x, "patient", nil)
	h.gw.failRenewal("in_plain", plain, 2500, insufficient)
	h.gw.failRenewal("in_patient", patient, 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_plain", plain)
	h.ingest("evt_2", "invoice.payment_failed", "in_patient", patient)
	h.runDue()
	h.advance(24 * time.Hour) // the first retries, on day 0, decline
	day := func(c recoup.Case) int {
		return int(c.NextAction.At.Sub(c.FirstFailedAt.Truncate(24*time.Hour)).Hours() / 24)
	}
	p, q := h.caseOf("in_plain"), h.caseOf("in_patient")
	if p.NextAction == nil || q.NextAction == nil {
		t.Fatalf("no plans: %+v %+v", p.NextAction, q.NextAction)
	}
	if day(p) != 3 || day(q) != 5 {
		t.Errorf("second retries on day %d (recoup arm) and %d (patient arm); want 3 and 5", day(p), day(q))
	}
	if tl := dump(h.timeline(q)); !strings.Contains(tl, "The arm sets its own") || !strings.Contains(tl, "[segment default, arm patient, policy") {
		t.Errorf("patient arm's timeline does not say what it overrides:\n%s", tl)
	}
}

// Against the fake Stripe through the real client, in act mode: the control invoice gets no
// mutating call (no takeover, charge, message or final action) and keeps Stripe's automatic
// collection; recoup records what it would have done and Stripe's own retries; the managed
// invoice is taken over (auto_advance off) and charged.
func TestControlArmIsLeftToStripe(t *testing.T) {
	h := newHarness(t, experimentPolicy([3]int{1, 1, 1}))
	fake := stripefake.New(stripefake.Options{Now: func() time.Time { return h.now }}).Start()
	t.Cleanup(fake.Close)
	gw, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_experiment", APIBase: fake.URL(), MaxNetworkRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = engine.New(engine.Config{Store: h.store, Gateway: gw, Notifier: h.notes, Policy: h.eng.Policy()})
	x := h.eng.Policy().Experiment
	byArm := map[string]stripefake.Renewal{}
	for i := 0; i < 40 && (byArm["stripe"].InvoiceID == "" || byArm["recoup"].InvoiceID == ""); i++ {
		r, err := fake.NewFailedRenewal(stripefake.RenewalParams{Decline: stripefake.CardDeclined("insufficient_funds"),
			Behaviour: stripefake.Declined(stripefake.CardDeclined("insufficient_funds"))})
		if err != nil {
			t.Fatal(err)
		}
		arm := x.Assign(r.CustomerID, nil).Name
		if _, ok := byArm[arm]; !ok && arm != "patient" {
			byArm[arm] = r
			h.ingest("evt_"+r.InvoiceID, "invoice.payment_failed", r.InvoiceID, r.CustomerID)
		}
	}
	control, managed := byArm["stripe"], byArm["recoup"]
	if control.InvoiceID == "" || managed.InvoiceID == "" {
		t.Fatalf("customers in each arm: %+v", byArm)
	}
	h.advance(4 * 24 * time.Hour)
	// Stripe's own retry of the control invoice runs (auto_advance is on) and fails; recoup
	// records it.
	if paid, err := fake.AutoRetry(control.InvoiceID); err != nil || paid {
		t.Fatalf("Stripe's retry of the control invoice: %v %v", paid, err)
	}
	h.ingest("evt_retry", "invoice.payment_failed", control.InvoiceID, control.CustomerID)
	h.advance(30 * 24 * time.Hour)

	owned := func(path string, r stripefake.Renewal) bool {
		for _, id := range []string{r.InvoiceID, r.CustomerID, r.SubscriptionID, r.PaymentMethodID} {
			if strings.Contains(path, id) {
				return true
			}
		}
		return false
	}
	var managedCalls int
	for _, q := range fake.Requests() {
		switch {
		case q.Method == "GET":
		case owned(q.Path, control):
			t.Errorf("a mutating call for the control invoice: %s %s", q.Method, q.Path)
		case owned(q.Path, managed):
			managedCalls++
		}
	}
	if managedCalls < 2 {
		t.Fatalf("only %d mutating calls for the managed invoice: the test proves nothing", managedCalls)
	}
	if snap, _ := fake.Invoice(control.InvoiceID); !snap.AutoAdvance {
		t.Error("the control invoice's automatic collection was turned off")
	}
	if snap, _ := fake.Invoice(managed.InvoiceID); snap.AutoAdvance {
		t.Error("the managed invoice's automatic collection is still on")
	}
	cc, mc := h.caseOf(control.InvoiceID), h.caseOf(managed.InvoiceID)
	if !cc.TakenOverAt.IsZero() || cc.Attempts != 0 || cc.ShadowCharges == 0 || cc.FinalAction != "" {
		t.Errorf("control case: taken over %v, %d charges, %d would-be charges, final action %q", cc.TakenOverAt, cc.Attempts, cc.ShadowCharges, cc.FinalAction)
	}
	if n := len(h.attempts(cc, recoup.SourceStripe)); n != 2 {
		t.Errorf("%d of Stripe's attempts recorded on the control case, want 2", n)
	}
	if mc.TakenOverAt.IsZero() || mc.Attempts == 0 {
		t.Errorf("managed case: taken over %v, %d charges", mc.TakenOverAt, mc.Attempts)
	}
	for _, m := range h.notes.sent {
		if m.CaseID == cc.ID {
			t.Errorf("a message was sent for the control case: %+v", m)
		}
	}
	tl := dump(h.timeline(cc))
	for _, want := range []string{"observe-only: would retry", "observe-only: would send message 0"} {
		if !strings.Contains(tl, want) {
			t.Errorf("control timeline lacks %q:\n%s", want, tl)
		}
	}
}

// An ended experiment assigns no new case: the case follows the policy, and says why.
func TestEndedExperimentAssignsNoCase(t *testing.T) {
	h := newHarness(t, experimentPolicy([3]int{1, 1, 1}))
	err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
		et := tx.(recoup.ExperimentTx)
		if err := et.StartExperiment("recoup-vs-stripe", h.now.Add(-48*time.Hour)); err != nil {
			return err
		}
		return et.EndExperiment("recoup-vs-stripe", h.now.Add(-time.Hour), "ops@example.com", "recoup")
	})
	if err != nil {
		t.Fatal(err)
	}
	cus := customerIn(t, h.eng.Policy().Experiment, "stripe", nil)
	h.gw.failRenewal("in_1", cus, 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", cus)
	h.runDue()
	h.advance(24 * time.Hour)
	c := h.caseOf("in_1")
	if c.Experiment != "" || c.Arm != "" || c.Attempts == 0 {
		t.Errorf("case in experiment %q arm %q with %d charges; want none, charged", c.Experiment, c.Arm, c.Attempts)
	}
	if tl := dump(h.timeline(c)); !strings.Contains(tl, "experiment recoup-vs-stripe ended on 2 Mar 2026: this case is in no arm") {
		t.Errorf("timeline:\n%s", tl)
	}
}

// After an operator ends the experiment and promotes an arm (expreport.End, as the CLI and the
// dashboard do), the next case takes no arm and follows the promoted arm's rules, while the
// cases already in an arm keep theirs: the control's is still left to Stripe.
func TestPromotedArmRulesTheNextCase(t *testing.T) {
	h := newHarness(t, experimentPolicy([3]int{1, 1, 1}))
	x := h.eng.Policy().Experiment
	control := customerIn(t, x, "stripe", nil)
	h.gw.failRenewal("in_control", control, 2500, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_control", control)
	h.runDue()

	ended, err := expreport.End(h.ctx, h.store, h.eng.Policy(), h.now, "recoup-vs-stripe", "ops@example.com", "patient")
	if err != nil {
		t.Fatal(err)
	}
	h.eng.SetPolicy(ended.Promoted)

	next := customerIn(t, x, "stripe", map[string]bool{control: true}) // the hash would make it a control
	h.gw.failRenewal("in_next", next, 2500, insufficient)
	h.ingest("evt_2", "invoice.payment_failed", "in_next", next)
	h.runDue()
	h.advance(24 * time.Hour)
	c := h.caseOf("in_next")
	if c.Experiment != "" || c.Arm != "" || c.Attempts == 0 || c.NextAction == nil {
		t.Fatalf("next case: experiment %q arm %q, %d charges, next %+v; want no arm, charged, planned", c.Experiment, c.Arm, c.Attempts, c.NextAction)
	}
	if day := int(c.NextAction.At.Sub(c.FirstFailedAt.Truncate(24*time.Hour)).Hours() / 24); day != 5 {
		t.Errorf("next case's second retry on day %d; want 5, the promoted arm's schedule", day)
	}
	old := h.caseOf("in_control")
	if old.Arm != "stripe" || old.Attempts != 0 || !old.TakenOverAt.IsZero() {
		t.Errorf("the control case before the end: arm %q, %d charges, taken over at %v; want stripe, left to Stripe", old.Arm, old.Attempts, old.TakenOverAt)
	}
}
