package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/engine"
	"github.com/recoup-hq/recoup/timing"
)

// A small budget, and more of it for the account's largest invoices.
const largeInvoicesPolicyYAML = `
timezone: UTC
retry:
  strategy: model
  max_duration: 45d
  schedule_days: [0, 3, 7, 15]
  hour: 10
  max_attempts: 2
  min_gap: 1d
  large_invoices:
    top_share: 0.1
    max_attempts: 4
    min_probability: 0.02
`

// learnAmounts adds outcomes of funds retries to the store's model: n for each amount (minor
// units of usd), a tenth of them paid.
func learnAmounts(h *harness, amounts map[int64]int) {
	h.t.Helper()
	for amount, n := range amounts {
		past := timing.Case{Category: recoup.CategoryFunds, Code: "insufficient_funds", Amount: amount, Currency: "usd",
			Loc: time.UTC, Cal: timing.CalendarFor("US"), Country: "US", FirstFailed: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}
		for k := range n {
			at := past.FirstFailed.Add(time.Duration(24+(k*37)%(30*24)) * time.Hour)
			o := recoup.Observation{Model: engine.ModelName, Kind: recoup.ObserveOutcome, Source: recoup.ObservedHistory,
				Features: timing.Features(past, at), Success: k%10 == 0, At: at}
			if err := h.store.Tx(h.ctx, func(tx recoup.Tx) error { return tx.AddObservation(&o) }); err != nil {
				h.t.Fatal(err)
			}
		}
	}
}

// charges runs the case of a failed invoice of amount to its end, every charge declined, and
// returns how many charges recoup made and the reasons of its decisions.
func chargesUntilTheEnd(t *testing.T, amount int64, amounts map[int64]int) (int, []string) {
	t.Helper()
	h := newHarness(t, largeInvoicesPolicyYAML)
	learnAmounts(h, amounts)
	h.now = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	h.gw.failRenewal("in_1", "cus_1", amount, insufficient)
	h.ingest("evt_1", "invoice.payment_failed", "in_1", "cus_1")
	h.advance(60 * 24 * time.Hour)
	c := h.caseOf("in_1")
	var reasons []string
	for _, e := range h.timeline(c) {
		if e.Kind == recoup.EntryDecision {
			reasons = append(reasons, e.Summary)
		}
	}
	return len(h.attempts(c, recoup.SourceRecoup)), reasons
}

// An invoice among the account's largest (a $3,000 invoice where 3% of the learned outcomes
// were for $1,000 or more) gets retry.large_invoices' budget of 4 charges, and its decisions
// say why; one of the account's usual amount ($25) keeps the policy's 2, and so does the large
// one before the model has learned enough outcomes to know the account's amounts.
func TestLargeInvoicesGetMoreCharges(t *testing.T) {
	account := map[int64]int{2500: 250, 15000: 40, 300000: 10}
	n, reasons := chargesUntilTheEnd(t, 300000, account)
	if n != 4 {
		t.Errorf("a large invoice got %d charges, want 4 (retry.large_invoices.max_attempts): %q", n, reasons)
	}
	var said bool
	for _, r := range reasons {
		said = said || strings.Contains(r, "large invoice (1000+ usd: 3% of the account's 300 learned outcomes were for as much or more): up to 4 charges, p ≥ 0.02")
	}
	if !said {
		t.Errorf("no decision says the invoice is large: %q", reasons)
	}

	n, reasons = chargesUntilTheEnd(t, 2500, account)
	if n != 2 {
		t.Errorf("an invoice of the usual amount got %d charges, want 2 (retry.max_attempts): %q", n, reasons)
	}
	for _, r := range reasons {
		if strings.Contains(r, "large invoice") {
			t.Errorf("an invoice of the usual amount called large: %q", r)
		}
	}

	// 150 outcomes: too few to say what the account's amounts are.
	n, reasons = chargesUntilTheEnd(t, 300000, map[int64]int{2500: 140, 300000: 10})
	if n != 2 {
		t.Errorf("a large invoice with 150 learned outcomes got %d charges, want 2: %q", n, reasons)
	}
}
