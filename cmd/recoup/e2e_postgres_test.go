package main

import (
	"fmt"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/pgtest"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// Two recoup processes share one PostgreSQL database. Webhooks reach the first; both work the
// jobs. Every invoice is charged exactly once per attempt key, and when the first process stops,
// the second does all the remaining, due work.
func TestE2ETwoProcessesOnePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	w := newWorld(t)
	b := w.start(dsn)
	a := w.start(dsn) // the fake's webhooks now go to a
	const n = 12
	var renewals []stripefake.Renewal
	for i := range n {
		r, err := w.fake.NewFailedRenewal(stripefake.RenewalParams{Email: fmt.Sprintf("c%d@example.com", i), AmountDue: int64(1000 + i),
			Decline: stripefake.CardDeclined("insufficient_funds")})
		if err != nil {
			t.Fatal(err)
		}
		w.fake.ScriptPay(r.InvoiceID, stripefake.Declined(stripefake.CardDeclined("insufficient_funds")), stripefake.Succeed())
		renewals = append(renewals, r)
	}
	scheduled := func(p *process, attempts int) bool {
		for _, r := range renewals {
			v, ok := p.caseOf(r.InvoiceID)
			if !ok || v.Case.State != recoup.StateScheduled || v.Case.Attempts != attempts {
				return false
			}
		}
		return true
	}
	a.waitFor("all cases scheduled", func() bool { return scheduled(a, 0) })
	// First retries: both processes work them.
	v, _ := a.caseOf(renewals[0].InvoiceID)
	w.clock.advanceTo(v.Case.NextAction.At)
	a.waitFor("every first charge declined", func() bool { return scheduled(a, 1) })

	// The first process goes away; the second does the rest.
	a.stop()
	v, _ = b.caseOf(renewals[0].InvoiceID)
	w.clock.advanceTo(v.Case.NextAction.At)
	b.waitFor("every case recovered", func() bool {
		for _, r := range renewals {
			if v, ok := b.caseOf(r.InvoiceID); !ok || v.Case.State != recoup.StateRecovered {
				return false
			}
		}
		return true
	})
	for _, r := range renewals {
		if got := w.fake.SucceededCharges(r.InvoiceID); got != 1 {
			t.Errorf("%s charged %d times", r.InvoiceID, got)
		}
		v, _ := b.caseOf(r.InvoiceID)
		for _, at := range v.Attempts {
			if at.Source == recoup.SourceRecoup && w.fake.PayCalls(at.IdempotencyKey) != 1 {
				t.Errorf("%s: key %s sent %d times", r.InvoiceID, at.IdempotencyKey, w.fake.PayCalls(at.IdempotencyKey))
			}
		}
	}
}
