package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
	"github.com/recoup-hq/recoup/policy"
)

func modelPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("m.yaml", []byte("retry:\n  strategy: model\n  max_attempts: 5\n  max_duration: 10d\n  min_gap: 1d\n  technical: [1m, 5m, 15m]\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTechnicalFailuresGetRapidRetries(t *testing.T) {
	p := modelPolicy(t)
	failed := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	d := &recoup.Decline{Code: "processing_error"}
	for k, want := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute} {
		last := failed.Add(time.Duration(k) * time.Hour)
		c := recoup.Case{FirstFailedAt: failed, LastAttemptAt: last, LastDecline: d}
		got := p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(d), Charges: k}, last.Add(time.Second))
		if got.Kind != recoup.DecideRetry || !got.At.Equal(last.Add(want)) || !strings.Contains(got.Reason, "rapid retry") {
			t.Errorf("technical retry %d: %s at %s (%s), want a rapid retry %s after the last charge (the gap of 1d does not apply)", k+1, got.Kind, got.At, got.Reason, want)
		}
	}
	// The rapid retries spent, the model times the next one.
	c := recoup.Case{FirstFailedAt: failed, LastAttemptAt: failed.Add(3 * time.Hour), LastDecline: d}
	got := p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(d), Charges: 3}, failed.Add(3*time.Hour))
	if got.Inputs["strategy"] != policy.StrategyModel || !got.At.Equal(failed.Add(27*time.Hour)) {
		t.Errorf("after the rapid retries: %+v, want the model's window from the gap after the last charge", got)
	}
}

func TestModelStrategyGivesTheWindow(t *testing.T) {
	p := modelPolicy(t)
	failed := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	d := &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds"}
	c := recoup.Case{FirstFailedAt: failed, LastAttemptAt: failed, LastDecline: d}
	got := p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(d)}, failed.Add(time.Minute))
	if got.Kind != recoup.DecideRetry || got.Inputs["strategy"] != "model" || !got.At.Equal(failed.Add(24*time.Hour)) ||
		got.Inputs["until"] != failed.Add(10*24*time.Hour).Format(time.RFC3339) || got.Inputs["budget_left"] != "5" {
		t.Errorf("model retry: %+v", got)
	}
	// Budget spent: final action.
	got = p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(d), Charges: 5}, failed.Add(time.Minute))
	if got.Kind != recoup.DecideFinal {
		t.Errorf("budget spent: %s, want the final action", got.Kind)
	}
	// Window over: final action.
	got = p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(d), Charges: 1}, failed.Add(10*24*time.Hour))
	if got.Kind != recoup.DecideFinal || !strings.Contains(got.Reason, "retry window") {
		t.Errorf("window over: %s (%s), want the final action", got.Kind, got.Reason)
	}
}

func TestStepsInTheCustomersTimeAndOutsideQuietHours(t *testing.T) {
	p, err := policy.ParseWith("q.yaml", []byte("campaign:\n  hour: 10\n  quiet_hours: [21, 8]\n  steps:\n    - {day: 0, template: a}\n    - {day: 3, template: b}\n"), ownTemplates)
	if err != nil {
		t.Fatal(err)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, tc := range []struct {
		name   string
		failed time.Time
		step   int
		loc    *time.Location
		want   time.Time
	}{
		{"day 3 at 10:00 in the customer's zone", time.Date(2026, 3, 2, 9, 0, 0, 0, la), 1, la, time.Date(2026, 3, 5, 10, 0, 0, 0, la)},
		{"day 0 after the hour: at once", time.Date(2026, 3, 2, 15, 30, 0, 0, la), 0, la, time.Date(2026, 3, 2, 15, 30, 0, 0, la)},
		{"day 0 at 23:00: the next morning at 08:00", time.Date(2026, 3, 2, 23, 0, 0, 0, paris), 0, paris, time.Date(2026, 3, 3, 8, 0, 0, 0, paris)},
		{"day 0 at 03:00: at 10:00 the same day", time.Date(2026, 3, 2, 3, 0, 0, 0, paris), 0, paris, time.Date(2026, 3, 2, 10, 0, 0, 0, paris)},
		// Europe/Paris moves to summer time on Sun 29 Mar 2026: day 3 from Thu 26 is Sun 29 at
		// 10:00 CEST, 08:00 UTC rather than 09:00.
		{"across a DST change", time.Date(2026, 3, 26, 12, 0, 0, 0, paris), 1, paris, time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC)},
		{"the same failure in another zone", time.Date(2026, 3, 26, 12, 0, 0, 0, paris), 1, la, time.Date(2026, 3, 29, 10, 0, 0, 0, la)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.StepAt(tc.failed, p.Campaign.Steps[tc.step], tc.loc); !got.Equal(tc.want) {
				t.Errorf("StepAt = %s, want %s", got.In(tc.loc), tc.want.In(tc.loc))
			}
		})
	}
	// Quiet hours that do not wrap midnight, and none.
	p2, err := policy.Parse("q2.yaml", []byte("campaign:\n  hour: 16\n  quiet_hours: [12, 14]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p2.OutsideQuietHours(time.Date(2026, 3, 2, 12, 30, 0, 0, time.UTC), time.UTC); !got.Equal(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("12:30 in quiet hours 12-14 moves to %s", got)
	}
	p3, _ := policy.Parse("q3.yaml", []byte("campaign:\n  quiet_hours: [0, 0]\n"))
	if at := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC); !p3.OutsideQuietHours(at, time.UTC).Equal(at) {
		t.Error("[0, 0] means no quiet hours")
	}
	if _, err := policy.Parse("q4.yaml", []byte("campaign:\n  hour: 22\n")); err == nil || !strings.Contains(err.Error(), "falls in the quiet hours") {
		t.Errorf("an hour in the quiet hours: %v", err)
	}
}

// A code pinned to a schedule is retried on its days whatever the strategy, and a code retried
// only within a window bounds the timing model's window.
func TestDeclineOverridesUnderTheModelStrategy(t *testing.T) {
	p, err := policy.Parse("m.yaml", []byte("retry:\n  strategy: model\n  hour: 10\n  max_attempts: 5\n  min_gap: 1d\n"+
		"declines:\n  schedule: {withdrawal_count_limit_exceeded: [2, 5]}\n  retry_within: {insufficient_funds: 6d}\n"))
	if err != nil {
		t.Fatal(err)
	}
	failed := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	pinned := &recoup.Decline{Code: "card_declined", DeclineCode: "withdrawal_count_limit_exceeded"}
	c := recoup.Case{FirstFailedAt: failed, LastAttemptAt: failed, LastDecline: pinned}
	d := p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(pinned)}, failed.Add(time.Minute))
	if d.Inputs["strategy"] == "model" || !d.At.Equal(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)) || d.Inputs["decline_override"] != "schedule 2 5" {
		t.Errorf("pinned code: %s at %s (%v), want day 2 of its schedule at 10:00", d.Kind, d.At, d.Inputs)
	}
	funds := &recoup.Decline{Code: "card_declined", DeclineCode: "insufficient_funds"}
	c.LastDecline = funds
	d = p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(funds)}, failed.Add(time.Minute))
	if d.Inputs["strategy"] != "model" || d.Inputs["until"] != failed.Add(6*24*time.Hour).Format(time.RFC3339) {
		t.Errorf("windowed code: %v, want the model's window to end with retry_within", d.Inputs)
	}
	c.LastAttemptAt = failed.Add(5*24*time.Hour + 12*time.Hour)
	d = p.Decide(policy.Facts{Case: c, Verdict: decline.Classify(funds), Charges: 1}, c.LastAttemptAt)
	if d.Kind == recoup.DecideRetry {
		t.Errorf("windowed code past its window (the gap ends after it): %s at %s, want no retry", d.Kind, d.At)
	}
	for _, bad := range []string{"declines: {schedule: {insufficient_funds: [5, 2]}}\n", "declines: {schedule: {Insufficient: [1]}}\n",
		"declines: {never_retry: [do_not_honor], schedule: {do_not_honor: [1]}}\n"} {
		if _, err := policy.Parse("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "declines.schedule") {
			t.Errorf("%q: %v, want a problem at declines.schedule", bad, err)
		}
	}
}
