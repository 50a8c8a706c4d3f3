package engine_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/timing"
)

const modelPolicyYAML = `
timezone: America/Chicago
retry:
  strategy: model
  max_attempts: 4
  max_duration: 10d
  min_gap: 1d
  # A steep discount keeps the untrained model's draws early in the 10-day window, so that a
  # second charge fits after the first whatever the draw.
  model: {hours: [8, 18], min_probability: 0.01, daily_discount: 0.6}
`

// Under the model strategy the engine picks a time in the customer's local hours, says why in
// numbers, and teaches every outcome to the model it shares through the store.
func TestModelTimesRetriesAndLearns(t *testing.T) {
	h := newHarness(t, modelPolicyYAML)
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.gw.script("in_1", insufficient, nil) // the second retry pays
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.wantState("in_1", recoup.StateScheduled)
	loc, _ := time.LoadLocation("America/Chicago")
	at := c.NextAction.At
	if hr := at.In(loc).Hour(); hr < 8 || hr > 18 {
		t.Errorf("retry planned at %s local, outside 08-18", at.In(loc))
	}
	if at.Before(h.now.Add(24 * time.Hour)) {
		t.Errorf("retry planned at %s, before the 1d gap after the failure", at)
	}
	var decision recoup.TimelineEntry
	for _, e := range h.timeline(c) {
		if e.Kind == recoup.EntryDecision {
			decision = e
		}
	}
	if !strings.Contains(decision.Summary, "CST") && !strings.Contains(decision.Summary, "CDT") {
		t.Errorf("decision %q is not in the customer's local time", decision.Summary)
	}
	for _, want := range []string{"insufficient_funds", "p=", "budget 4 of 4 left"} {
		if !strings.Contains(decision.Summary, want) {
			t.Errorf("decision %q lacks %q", decision.Summary, want)
		}
	}
	if !strings.Contains(decision.Summary, "pay schedules holding") && !strings.Contains(decision.Summary, "payday's money") {
		t.Errorf("decision %q does not say what the pay belief expects", decision.Summary)
	}
	if !strings.Contains(string(decision.Detail), `"strategy":"model"`) || !strings.Contains(string(decision.Detail), `"p_sampled"`) {
		t.Errorf("decision inputs %s lack the model's numbers", decision.Detail)
	}

	for range 20 {
		if _, ok := h.nextAt(); !ok {
			break
		}
		h.advance(24 * time.Hour)
	}
	h.wantState("in_1", recoup.StateRecovered)
	obs := h.observations()
	if len(obs) != 2 || obs[0].Success || !obs[1].Success {
		t.Fatalf("observations %+v, want a decline then a success", obs)
	}
	if f := strings.Join(obs[0].Features, " "); !strings.Contains(f, "code:insufficient_funds") || !strings.Contains(f, "funds|attempt:1") ||
		!strings.Contains(f, "funds|since_last:") {
		t.Errorf("first observation's features %s do not describe the first retry", f)
	}
	if f := strings.Join(obs[1].Features, " "); !strings.Contains(f, "funds|attempt:2") {
		t.Errorf("second observation's features %s do not describe the second retry", f)
	}
	// Each carries the pay evidence of the customer's country (none known here), the second
	// after a charge; the case counts about once (its belief before the second charge is
	// reckoned from the prior as the first charge left it).
	if f := strings.Join(obs[0].Features, " "); !strings.Contains(f, "pay@:0:") {
		t.Errorf("first observation's features %s lack the pay evidence of a first charge", f)
	}
	if f := strings.Join(obs[1].Features, " "); !strings.Contains(f, "pay@:1:") {
		t.Errorf("second observation's features %s lack the pay evidence of a later charge", f)
	}
	m, err := engine.LoadModel(h.ctx, h.store)
	if err != nil {
		t.Fatal(err)
	}
	if names, cases := m.PayCountries(); len(names) != 1 || names[0] != "" || math.Abs(cases[0]-1) > 0.05 {
		t.Errorf("the model's pay evidence: countries %q with %v cases, want one case of all countries", names, cases)
	}
}

// observations returns the timing model's observations in the store.
func (h *harness) observations() []recoup.Observation {
	h.t.Helper()
	var obs []recoup.Observation
	if err := h.store.Tx(h.ctx, func(tx recoup.Tx) (err error) {
		obs, err = tx.Observations(engine.ModelName, 0, 100)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return obs
}

// The customer's earlier cases reach the timing model: once a retry collected one of their
// invoices short of funds, the charges of their next failure are described with that history.
func TestTimingSeesTheCustomersEarlierCases(t *testing.T) {
	h := newHarness(t, modelPolicyYAML)
	h.gw.failRenewal("in_1", "cus_1", 2500, insufficient)
	h.gw.script("in_1", nil) // the first retry pays
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(12 * 24 * time.Hour)
	h.wantState("in_1", recoup.StateRecovered)

	h.gw.failRenewal("in_2", "cus_1", 2500, insufficient)
	h.gw.script("in_2", nil)
	h.ingest("evt_2", "invoice.payment_failed", "in_2", "cus_1")
	h.runDue()
	c := h.wantState("in_2", recoup.StateScheduled)
	if i := slices.IndexFunc(h.timeline(c), func(e recoup.TimelineEntry) bool {
		return e.Kind == recoup.EntryDecision && strings.Contains(e.Summary, "their card passed after a shortage on")
	}); i < 0 {
		t.Errorf("no decision of the second case names the day the first was paid: %v", h.timeline(c))
	}
	h.advance(12 * 24 * time.Hour)
	h.wantState("in_2", recoup.StateRecovered)

	obs := h.observations()
	if len(obs) != 2 {
		t.Fatalf("%d observations, want one charge per invoice", len(obs))
	}
	if f := strings.Join(obs[0].Features, " "); strings.Contains(f, "past:") {
		t.Errorf("the customer's first case has a history: %s", f)
	}
	if f := strings.Join(obs[1].Features, " "); !strings.Contains(f, "past:"+timing.PastPaidByRetry) {
		t.Errorf("the customer's second case's charge %s does not say a retry collected the first", f)
	}
}

// A technical failure is retried within minutes, not on the next day, even under a day's gap.
func TestTechnicalFailureRapidRetry(t *testing.T) {
	h := newHarness(t, modelPolicyYAML+"  technical: [1m, 5m]\n")
	processing := &recoup.Decline{Code: "processing_error"}
	h.gw.failRenewal("in_1", "cus_1", 2500, processing)
	h.gw.script("in_1", processing, nil)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.caseOf("in_1")
	if c.NextAction == nil || c.NextAction.At.Sub(h.now) > 2*time.Minute {
		t.Fatalf("next action %+v, want a rapid retry a minute after the failure", c.NextAction)
	}
	h.advance(time.Minute)
	h.advance(5 * time.Minute)
	h.wantState("in_1", recoup.StateRecovered)
	if len(h.gw.calls) != 2 {
		t.Errorf("%d charges, want 2 rapid retries", len(h.gw.calls))
	}
}

// A model reset recorded in the store makes every engine forget what it learned.
func TestModelResetIsSharedThroughTheStore(t *testing.T) {
	h := newHarness(t, modelPolicyYAML)
	add := func(o recoup.Observation) {
		t.Helper()
		if err := h.store.Tx(h.ctx, func(tx recoup.Tx) error { return tx.AddObservation(&o) }); err != nil {
			t.Fatal(err)
		}
	}
	for range 300 {
		add(recoup.Observation{Model: engine.ModelName, Kind: recoup.ObserveOutcome, Features: []string{"bias", "cat:funds"}, Success: true})
	}
	m, err := engine.LoadModel(h.ctx, h.store)
	if err != nil {
		t.Fatal(err)
	}
	if m.Updates != 300 || m.Predict([]string{"bias", "cat:funds"}) < 0.9 {
		t.Fatalf("model after 300 successes: %d updates, p=%.2f", m.Updates, m.Predict([]string{"bias", "cat:funds"}))
	}
	if err := engine.ResetModel(h.ctx, h.store, h.now); err != nil {
		t.Fatal(err)
	}
	m, err = engine.LoadModel(h.ctx, h.store)
	if err != nil {
		t.Fatal(err)
	}
	if m.Updates != 0 {
		t.Errorf("model after a reset has %d updates", m.Updates)
	}
	_ = policy.StrategyModel
}

// A customer in Los Angeles whose card fails at 23:00 their time hears from recoup at 08:00
// their time, not at 10:00 in the policy's zone nor in the middle of their night.
func TestMessagesFollowTheCustomersClock(t *testing.T) {
	h := newHarness(t, "timezone: Europe/Paris\ncampaign:\n  hour: 10\n  quiet_hours: [21, 8]\n  steps:\n"+
		"    - {day: 0, template: update_card, tone: helpful}\n    - {day: 3, template: payment_failed, tone: gentle}\n")
	la, _ := time.LoadLocation("America/Los_Angeles")
	h.now = time.Date(2026, 3, 2, 23, 0, 0, 0, la)
	h.gw.failRenewal("in_1", "cus_1", 2500, expired)
	h.gw.mu.Lock()
	h.gw.invoices["in_1"].CustomerCountry, h.gw.invoices["in_1"].CustomerRegion = "US", "CA"
	h.gw.mu.Unlock()
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.runDue()
	c := h.caseOf("in_1")
	if c.CustomerCountry != "US" || c.CustomerRegion != "CA" {
		t.Fatalf("case address %q %q, want US CA", c.CustomerCountry, c.CustomerRegion)
	}
	var at []string
	for range 10 {
		next, ok := h.nextAt()
		if !ok {
			break
		}
		h.advance(next.Sub(h.now))
	}
	for _, m := range h.notes.sent {
		at = append(at, m.CreatedAt.In(la).Format("Mon 15:04"))
	}
	if want := []string{"Tue 08:00", "Thu 10:00"}; !slices.Equal(at, want) {
		t.Errorf("messages sent at %v (Los Angeles), want %v", at, want)
	}
}
