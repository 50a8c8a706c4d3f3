package engine_test

import (
	"fmt"
	"testing"
	"time"
)

// retry.model.exploration reaches the timing model: at 0 the model's means decide, so the same
// failure at the same moment gets the same first retry whatever the case's draw; at 1 (Thompson
// sampling) the draws spread the same failures over several times.
func TestExplorationReachesTheTimingModel(t *testing.T) {
	times := func(exploration string) map[time.Time]int {
		h := newHarness(t, `
timezone: UTC
retry:
  strategy: model
  max_duration: 45d
  max_attempts: 6
  min_gap: 1d
  model:
    first_retry_bound: false
    exploration: `+exploration+`
`)
		h.now = time.Date(2026, 3, 3, 15, 30, 0, 0, time.UTC)
		out := map[time.Time]int{}
		for i := range 12 {
			id, cus := fmt.Sprintf("in_%d", i), fmt.Sprintf("cus_%d", i)
			h.gw.failRenewal(id, cus, 2500, insufficient)
			h.ingest("evt_"+id, "invoice.payment_failed", id, cus)
			h.runDue()
			at, _ := firstRetryDecision(h, id)
			out[at]++
		}
		return out
	}
	if got := times("0"); len(got) != 1 {
		t.Errorf("exploration 0: twelve like failures got %d different first retries, want one: %v", len(got), got)
	}
	if got := times("1"); len(got) < 3 {
		t.Errorf("exploration 1: twelve like failures got only %d different first retries: %v", len(got), got)
	}
}
