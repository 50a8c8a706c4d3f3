package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/timing"
)

func TestModelPriorsParse(t *testing.T) {
	p, err := policy.Parse("p.yaml", []byte(`
retry:
  strategy: model
  model:
    priors:
      public: false
      paydays: [day:1, Weekly:Friday]
      paydays_by_country:
        GB: [last_business_day]
        JP: [day:25]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Retry.Model.Priors
	if got.Public || strings.Join(got.Paydays[""], ",") != "day:1,weekly:friday" || got.Paydays["GB"][0] != "last_business_day" || got.Paydays["JP"][0] != "day:25" {
		t.Errorf("priors %+v", got)
	}
	def, err := policy.Parse("d.yaml", []byte("retry: {strategy: model}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if def.Retry.Model.Priors.Key() != timing.PublicPriors().Key() {
		t.Errorf("default priors %+v, want the public ones", def.Retry.Model.Priors)
	}
	// The cold-start bound is on unless turned off.
	if !def.Retry.Model.FirstRetryBound {
		t.Error("retry.model.first_retry_bound is off by default, want on")
	}
	off, err := policy.Parse("o.yaml", []byte("retry: {strategy: model, model: {first_retry_bound: false}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if off.Retry.Model.FirstRetryBound {
		t.Error("first_retry_bound: false left the bound on")
	}
	// Exploration is Thompson sampling's unless set; the built-in policy narrows it.
	if def.Retry.Model.Exploration != 1 {
		t.Errorf("retry.model.exploration is %v by default, want 1", def.Retry.Model.Exploration)
	}
	if got := policy.Default().Retry.Model.Exploration; got != 0.5 {
		t.Errorf("the built-in policy's retry.model.exploration is %v, want 0.5", got)
	}
	half, err := policy.Parse("h.yaml", []byte("retry: {strategy: model, model: {exploration: 0}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if half.Retry.Model.Exploration != 0 {
		t.Errorf("exploration: 0 read as %v", half.Retry.Model.Exploration)
	}
}

func TestModelPriorsValidation(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"retry:\n  model:\n    priors:\n      paydays: [friday]\n", `retry.model.priors.paydays[0]: unknown pay schedule "friday"`},
		{"retry:\n  model:\n    priors:\n      paydays: [day:31]\n", `unknown pay schedule "day:31"`},
		{"retry:\n  model:\n    priors:\n      paydays: []\n", "retry.model.priors.paydays: list at least one pay schedule"},
		{"retry:\n  model:\n    priors:\n      paydays_by_country:\n        gb: [day:1]\n", "two upper-case letters"},
		{"retry:\n  model:\n    priors:\n      paydays_by_country:\n        GB: [biweekly:sat]\n", `retry.model.priors.paydays_by_country.GB[0]: unknown pay schedule "biweekly:sat"`},
		{"retry:\n  model:\n    priors:\n      public: maybe\n", "retry.model.priors.public"},
		{"segments:\n  - name: big\n    when: invoice.amount > 100\n    retry:\n      model:\n        priors: {public: false}\n", "priors are set once, at retry.model.priors"},
	} {
		_, err := policy.Parse("p.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// Under the model strategy the first retry's decision carries where the fixed schedule would
// make it (the bound of a cold start); later retries do not.
func TestModelRetryCarriesTheSchedulesFirstRetry(t *testing.T) {
	p, err := policy.Parse("p.yaml", []byte("retry:\n  strategy: model\n  schedule_days: [0, 3]\n  hour: 10\n  min_gap: 4h\n"))
	if err != nil {
		t.Fatal(err)
	}
	failed := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	d := &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds"}
	c := recoup.Case{FirstFailedAt: failed, LastAttemptAt: failed, LastDecline: d}
	got := p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(d)}, failed)
	if want := "2026-03-02T11:00:00Z"; got.Inputs["schedule_at"] != want {
		t.Errorf("schedule_at %q, want %s (10:00, moved by the 4h gap)", got.Inputs["schedule_at"], want)
	}
	c.LastAttemptAt = failed.Add(5 * time.Hour)
	got = p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(d), Charges: 1}, c.LastAttemptAt)
	if s, ok := got.Inputs["schedule_at"]; ok {
		t.Errorf("second retry carries schedule_at %s", s)
	}
}
