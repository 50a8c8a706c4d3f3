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
