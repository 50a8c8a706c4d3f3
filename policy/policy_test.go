package policy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
)

func TestDefaultPolicy(t *testing.T) {
	p := policy.Default()
	if p.Version == "" || p.FinalAction != recoup.FinalLeavePastDue || p.Retry.Strategy != policy.StrategyModel || p.Retry.MaxAttempts != 6 || len(p.Retry.Technical) != 4 {
		t.Fatalf("default policy: %+v", p.Retry)
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown key", "retry:\n  hours: 3\n", "test.yaml:2:3"},
		{"bad hour", "retry:\n  hour: 25\n", "test.yaml:2:9: retry.hour: hour must be 0-23"},
		{"bad zone", "timezone: Mars/Olympus\n", "test.yaml:1:11: timezone: unknown time zone"},
		{"descending days", "retry:\n  schedule_days: [3, 1]\n", "retry.schedule_days: days must be strictly ascending"},
		{"bad final", "final_action: shred\n", "test.yaml:1:15: final_action: unknown final action \"shred\""},
		{"bad duration", "customer_wait: soon\n", "customer_wait: invalid duration \"soon\""},
		{"too many attempts", "retry:\n  max_attempts: 50\n", "retry.max_attempts: must be 0-20"},
		{"wrong type", "retry:\n  hour: ten\n", "test.yaml:2"},
		{"unknown category", "retry:\n  wait_for_customer: [customer_fix, broke]\n", "retry.wait_for_customer[1]: unknown category \"broke\""},
		{"hard listed", "retry:\n  wait_for_customer: [hard]\n", "hard declines always wait"},
		{"step without day", "campaign:\n  steps:\n    - template: t\n", "campaign.steps[0]: a step needs a day"},
		{"step out of order", "campaign:\n  steps:\n    - {day: 7, template: a}\n    - {day: 3, template: b}\n", "test.yaml:4:13: campaign.steps[1].day: steps must be in order"},
		{"unknown channel", "campaign:\n  steps:\n    - {day: 1, template: a, channel: pigeon}\n", "unknown channel \"pigeon\""},
		{"step without template", "campaign:\n  steps:\n    - {day: 1}\n", "a step needs a template name"},
		{"Visa cap above the network's", "network:\n  visa_reattempts_30d: 21\n", "network.visa_reattempts_30d: must be 1-20"},
		{"case budget above 15", "network: {case_budget: 16}\n", "network.case_budget: must be 1-15"},
		{"unknown strategy", "retry: {strategy: hunch}\n", "retry.strategy: unknown strategy \"hunch\""},
		{"bad model hours", "retry: {model: {hours: [22, 6]}}\n", "retry.model.hours: must be [first, last] local hours"},
		{"bad discount", "retry: {model: {daily_discount: 1.5}}\n", "retry.model.daily_discount: must be above 0.5"},
		{"bad probability", "retry: {model: {min_probability: 1}}\n", "retry.model.min_probability: must be 0 or more and below 1"},
		{"exploration above 1", "retry: {model: {exploration: 1.5}}\n", "retry.model.exploration: must be from 0 (the model's means) to 1 (Thompson sampling), got 1.5"},
		{"negative exploration", "retry: {model: {exploration: -0.1}}\n", "retry.model.exploration: must be from 0"},
		{"too quick technical retry", "retry: {technical: [10s]}\n", "retry.technical[0]: must be between 1m0s and 48h0m0s"},
		{"case budget zero", "network: {case_budget: 0}\n", "network.case_budget: must be 1-15"},
		{"unknown network key", "network: {mastercard_declines_24h: 20}\n", "test.yaml:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Parse("test.yaml", []byte(tc.src))
			var pe *policy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *policy.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
	_, err := policy.Parse("t.yaml", []byte("retry:\n  hour: 30\n  max_attempts: -1\n"))
	var pe *policy.Error
	if !errors.As(err, &pe) || len(pe.Problems) != 2 {
		t.Fatalf("want both problems reported, got %v", err)
	}
}

// The network section bounds the guard; absent, the guard's own defaults apply.
func TestNetworkLimits(t *testing.T) {
	if got, want := policy.Default().Network, (decline.Limits{VisaReattempts30d: decline.DefaultVisaReattempts30d, CaseBudget: decline.DefaultCaseBudget}); got != want {
		t.Errorf("default policy network limits %+v, want the guard's defaults %+v", got, want)
	}
	if got := mustParse(t, "final_action: leave_past_due\n").Network; got != (decline.Limits{}) {
		t.Errorf("network limits of a file without a network section: %+v, want zero (the guard's defaults)", got)
	}
	p := mustParse(t, "network: {visa_reattempts_30d: 20, case_budget: 12}\n")
	if want := (decline.Limits{VisaReattempts30d: 20, CaseBudget: 12}); p.Network != want {
		t.Errorf("network limits %+v, want %+v", p.Network, want)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"15d": 15 * 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := policy.ParseDuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "d", "-3d", "x", "-1h"} {
		if _, err := policy.ParseDuration(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func mustParse(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var funds = decline.Classify(&recoup.Decline{DeclineCode: "insufficient_funds"})

func TestFixedSchedule(t *testing.T) {
	p := mustParse(t, "timezone: America/New_York\nretry:\n  schedule_days: [0, 3, 7, 15]\n  hour: 10\n  max_attempts: 4\n  min_gap: 1h\nfinal_action: cancel_subscription\n")
	ny, _ := time.LoadLocation("America/New_York")
	failed := time.Date(2026, 3, 2, 6, 30, 0, 0, ny) // a Monday, before 10:00 local
	c := recoup.Case{FirstFailedAt: failed, LastAttemptAt: failed}
	at := func(d int, h int) time.Time { return time.Date(2026, 3, 2+d, h, 0, 0, 0, ny) }

	// Each charge declines at its slot; the next slot follows. Day 15 lies after the DST change
	// of 8 March and must still be 10:00 local.
	want := []time.Time{at(0, 10), at(3, 10), at(7, 10), at(15, 10)}
	now := failed
	for k, w := range want {
		d := p.Decide(policy.Facts{Case: c, Verdict: funds, Charges: k}, now)
		if d.Kind != recoup.DecideRetry || !d.At.Equal(w) {
			t.Fatalf("charge %d: %s at %v (%s), want retry at %v", k+1, d.Kind, d.At, d.Reason, w)
		}
		if d.Inputs["policy_version"] != p.Version {
			t.Fatal("decision does not record the policy version")
		}
		now, c.LastAttemptAt = d.At, d.At
	}
	d := p.Decide(policy.Facts{Case: c, Verdict: funds, Charges: 4}, now)
	if d.Kind != recoup.DecideFinal || d.FinalAction != recoup.FinalCancelSubscription || !strings.Contains(d.Reason, "exhausted") {
		t.Fatalf("after the schedule: %+v", d)
	}
}

func TestScheduleEdges(t *testing.T) {
	p := mustParse(t, "retry:\n  schedule_days: [0, 3, 7]\n  hour: 10\n  max_attempts: 2\n  min_gap: 4h\n  error_delay: 15m\n  error_limit: 2\ncustomer_wait: 10d\nfinal_action: mark_uncollectible\n")
	failed := time.Date(2026, 6, 1, 14, 0, 0, 0, time.UTC) // after the day-0 slot
	c := recoup.Case{FirstFailedAt: failed, LastAttemptAt: failed}

	t.Run("day-0 slot passed keeps the min gap", func(t *testing.T) {
		d := p.Decide(policy.Facts{Case: c, Verdict: funds}, failed)
		if want := failed.Add(4 * time.Hour); !d.At.Equal(want) {
			t.Fatalf("at %v, want %v (%s)", d.At, want, d.Reason)
		}
	})
	t.Run("late start shifts the schedule, keeping its gaps", func(t *testing.T) {
		late := c
		late.LastAttemptAt = failed.Add(20 * 24 * time.Hour) // backfilled 20 days later and charged then
		d := p.Decide(policy.Facts{Case: late, Verdict: funds, Charges: 1}, late.LastAttemptAt)
		if want := time.Date(2026, 6, 24, 10, 0, 0, 0, time.UTC); !d.At.Equal(want) {
			t.Fatalf("at %v, want %v (%s)", d.At, want, d.Reason)
		}
	})
	t.Run("max attempts below the schedule's length", func(t *testing.T) {
		d := p.Decide(policy.Facts{Case: c, Verdict: funds, Charges: 2}, failed)
		if d.Kind != recoup.DecideFinal || d.FinalAction != recoup.FinalMarkUncollectible {
			t.Fatalf("%+v", d)
		}
	})
	t.Run("hard decline waits for the customer until the deadline", func(t *testing.T) {
		hard := decline.Classify(&recoup.Decline{DeclineCode: "stolen_card"})
		d := p.Decide(policy.Facts{Case: c, Verdict: hard}, failed)
		if d.Kind != recoup.DecideWait || !d.At.Equal(failed.Add(10*24*time.Hour)) {
			t.Fatalf("%+v", d)
		}
		d = p.Decide(policy.Facts{Case: c, Verdict: hard}, failed.Add(10*24*time.Hour))
		if d.Kind != recoup.DecideFinal {
			t.Fatalf("after the deadline: %+v", d)
		}
	})
	t.Run("new payment method retries at once", func(t *testing.T) {
		nc := c
		nc.NewPaymentMethodID = "pm_new"
		now := failed.Add(time.Hour)
		d := p.Decide(policy.Facts{Case: nc, Verdict: decline.Classify(&recoup.Decline{DeclineCode: "expired_card"})}, now)
		if d.Kind != recoup.DecideRetry || !d.At.Equal(now) {
			t.Fatalf("%+v", d)
		}
	})
	t.Run("call errors retry soon, then use up a slot", func(t *testing.T) {
		now := failed.Add(5 * time.Hour)
		ec := c
		ec.LastAttemptAt = now
		d := p.Decide(policy.Facts{Case: ec, Verdict: funds, Errors: 1}, now)
		if d.Kind != recoup.DecideRetry || !d.At.Equal(now.Add(4*time.Hour)) {
			t.Fatalf("error 1: %+v", d) // error delay 15m, but the min gap of 4h wins
		}
		d = p.Decide(policy.Facts{Case: ec, Verdict: funds, Errors: 3, Charges: 1}, now)
		if d.Kind != recoup.DecideFinal {
			t.Fatalf("a run of errors past the limit uses the last slot: %+v", d)
		}
	})
}

func TestCampaignParsed(t *testing.T) {
	p, err := policy.ParseWith("t.yaml", []byte(`campaign:
  hour: 9
  steps:
    - {day: 0, template: fix_card, tone: helpful, categories: [customer_fix]}
    - {day: 3, template: reminder, channel: webhook}
`), policy.Options{Templates: []string{"fix_card", "reminder"}})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Campaign
	if c.Hour != 9 || len(c.Steps) != 2 {
		t.Fatalf("campaign = %+v", c)
	}
	first, second := c.Steps[0], c.Steps[1]
	if first.Channel != "email" || first.Tone != "helpful" || !first.Applies(recoup.CategoryCustomerFix) || first.Applies(recoup.CategoryFunds) {
		t.Fatalf("first step = %+v", first)
	}
	if second.Day != 3 || second.Channel != "webhook" || second.Tone != "neutral" || !second.Applies(recoup.CategoryFunds) {
		t.Fatalf("second step = %+v", second)
	}
}

// A policy may retry customer-fix declines (Stripe's own retries do), but never hard ones.
func TestWaitForCustomerIsConfigurableButHardAlwaysWaits(t *testing.T) {
	blind, err := policy.Parse("blind.yaml", []byte("retry:\n  wait_for_customer: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	c := recoup.Case{FirstFailedAt: now, LastAttemptAt: now}
	for _, tc := range []struct {
		decline string
		pol     *policy.Policy
		want    recoup.DecisionKind
	}{
		{"expired_card", policy.Default(), recoup.DecideWait},
		{"expired_card", blind, recoup.DecideRetry},
		{"authentication_required", blind, recoup.DecideRetry},
		{"stolen_card", blind, recoup.DecideWait},
		{"stolen_card", policy.Default(), recoup.DecideWait},
	} {
		f := policy.Facts{Case: c, Verdict: decline.Classify(&recoup.Decline{Code: "card_declined", DeclineCode: tc.decline})}
		if got := tc.pol.Decide(f, now); got.Kind != tc.want {
			t.Errorf("%s under %s: %s (%s), want %s", tc.decline, tc.pol.Version, got.Kind, got.Reason, tc.want)
		}
	}
}

// policies/recoup.yaml, the simulator's name for the product's default, is the built-in policy.
func TestShippedRecoupPolicyIsTheDefault(t *testing.T) {
	p, err := policy.Load("../policies/recoup.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != policy.Default().Version {
		t.Fatalf("policies/recoup.yaml (version %s) differs from policy/default.yaml (version %s)", p.Version, policy.Default().Version)
	}
}
