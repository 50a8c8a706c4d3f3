package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// The built-in policy's retry settings: the model strategy, with the fixed schedule it would
// fall back on (days 0, 3, 7, 15 at 10:00, a day between charges).
const coldStartPolicyYAML = `
timezone: UTC
retry:
  strategy: model
  max_duration: 45d
  schedule_days: [0, 3, 7, 15]
  hour: 10
  max_attempts: 6
  min_gap: 1d
  model:
    first_retry_bound: true
`

// firstRetryDecision returns the case's planned retry and the reason of the decision behind it.
func firstRetryDecision(h *harness, invoiceID string) (time.Time, string) {
	h.t.Helper()
	c := h.wantState(invoiceID, recoup.StateScheduled)
	var reason string
	for _, e := range h.timeline(c) {
		if e.Kind == recoup.EntryDecision {
			reason = e.Summary
		}
	}
	return c.NextAction.At, reason
}

// On a fresh store nothing has been learned: a funds failure's first retry comes no later than
// the policy's fixed schedule would make it (here the day after the failure, the 1d gap), for
// every draw of the model. Before the public priors and the schedule bound, the untrained model
// placed it up to weeks later ("p=0.08 (sampled 0.69) vs 0.08 at the earliest").
func TestColdStartFirstRetryNoLaterThanTheSchedule(t *testing.T) {
	for i := range 24 {
		// Failures at different hours and days, each its own case and draw, each on a fresh
		// store.
		h := newHarness(t, coldStartPolicyYAML)
		h.now = time.Date(2026, 3, 2+i, 3+(i*5)%20, 30, 0, 0, time.UTC)
		failed := h.now
		id, cus := fmt.Sprintf("in_%d", i), fmt.Sprintf("cus_%d", i)
		h.gw.failRenewal(id, cus, 2500, insufficient)
		h.ingest("evt_"+id, "invoice.payment_failed", id, cus)
		h.runDue()
		at, reason := firstRetryDecision(h, id)
		// The schedule's first retry: day 0 at 10:00, or later by the day between charges.
		schedule := time.Date(failed.Year(), failed.Month(), failed.Day(), 10, 0, 0, 0, time.UTC)
		if gap := failed.Add(24 * time.Hour); gap.After(schedule) {
			schedule = gap
		}
		if at.After(schedule) {
			t.Errorf("failure %s: first retry at %s, after the schedule's %s, on a fresh store (%s)",
				failed.Format(time.RFC3339), at.Format(time.RFC3339), schedule.Format(time.RFC3339), reason)
		}
		if !strings.Contains(reason, "insufficient_funds") {
			t.Errorf("reason %q does not name the decline", reason)
		}
	}
}
