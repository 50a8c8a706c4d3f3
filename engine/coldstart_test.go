package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/timing"
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
    exploration: 0.5
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

// Once the store holds the category's outcomes (here 40 imported from the account's history,
// which say nothing about timing: random days, a tenth paid), the model has learned the
// category and the bound gives way: some first retries go later than the schedule, and each
// such decision says on how many outcomes it rests. On the same failures from a fresh store,
// none did (TestColdStartFirstRetryNoLaterThanTheSchedule).
func TestColdStartBoundGivesWayToImportedHistory(t *testing.T) {
	var later int
	for i := range 24 {
		h := newHarness(t, coldStartPolicyYAML)
		past := timing.Case{Category: recoup.CategoryFunds, Code: "insufficient_funds", Loc: time.UTC, Cal: timing.CalendarFor("US"), Country: "US",
			FirstFailed: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
		for k := range 40 {
			at := past.FirstFailed.Add(time.Duration(24+(k*37)%(30*24)) * time.Hour)
			o := recoup.Observation{Model: engine.ModelName, Kind: recoup.ObserveOutcome, Source: recoup.ObservedHistory,
				Features: timing.Features(past, at), Success: k%10 == 0, At: at}
			if err := h.store.Tx(h.ctx, func(tx recoup.Tx) error { return tx.AddObservation(&o) }); err != nil {
				t.Fatal(err)
			}
		}
		h.now = time.Date(2026, 3, 2+i, 3+(i*5)%20, 30, 0, 0, time.UTC)
		failed := h.now
		id, cus := fmt.Sprintf("in_%d", i), fmt.Sprintf("cus_%d", i)
		h.gw.failRenewal(id, cus, 2500, insufficient)
		h.ingest("evt_"+id, "invoice.payment_failed", id, cus)
		h.runDue()
		at, reason := firstRetryDecision(h, id)
		schedule := time.Date(failed.Year(), failed.Month(), failed.Day(), 10, 0, 0, 0, time.UTC)
		if gap := failed.Add(24 * time.Hour); gap.After(schedule) {
			schedule = gap
		}
		if !at.After(schedule) {
			continue
		}
		later++
		if !strings.Contains(reason, "on evidence: a model that learned from 40 outcomes of funds retries") {
			t.Errorf("failure %s: first retry at %s, after the schedule's %s, without saying on what: %s",
				failed.Format(time.RFC3339), at.Format(time.RFC3339), schedule.Format(time.RFC3339), reason)
		}
	}
	if later < 12 {
		t.Errorf("only %d of 24 first retries went later than the schedule with the category learned", later)
	}
}

// A run of declines the model has not yet weighed against much (400 funds retries, none paid)
// puts its expectation under min_probability at every time, but a new funds failure still gets
// a retry: giving up a case is for good, and the model cannot yet rule the times out.
func TestARunOfDeclinesDoesNotGiveUpNewCases(t *testing.T) {
	var retried int
	for i := range 12 {
		h := newHarness(t, coldStartPolicyYAML)
		past := timing.Case{Category: recoup.CategoryFunds, Code: "insufficient_funds", Loc: time.UTC, Cal: timing.CalendarFor("US"), Country: "US",
			FirstFailed: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
		for k := range 400 {
			at := past.FirstFailed.Add(time.Duration(24+(k*37)%(44*24)) * time.Hour)
			o := recoup.Observation{Model: engine.ModelName, Kind: recoup.ObserveOutcome, Source: recoup.ObservedRecoup,
				Features: timing.Features(past, at), Success: false, At: at}
			if err := h.store.Tx(h.ctx, func(tx recoup.Tx) error { return tx.AddObservation(&o) }); err != nil {
				t.Fatal(err)
			}
		}
		h.now = time.Date(2026, 3, 2+i, 3+(i*5)%20, 30, 0, 0, time.UTC)
		id, cus := fmt.Sprintf("in_%d", i), fmt.Sprintf("cus_%d", i)
		h.gw.failRenewal(id, cus, 2500, insufficient)
		h.ingest("evt_"+id, "invoice.payment_failed", id, cus)
		h.runDue()
		if c := h.caseOf(id); c.State == recoup.StateScheduled && c.NextAction != nil && c.NextAction.Kind == recoup.ActionRetry {
			retried++
		}
	}
	if retried < 11 {
		t.Errorf("%d of 12 funds failures got a retry after a run of 400 declines; want all but the odd one", retried)
	}
}
