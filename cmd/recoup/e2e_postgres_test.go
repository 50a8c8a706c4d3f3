package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/internal/pgtest"
	"github.com/recoup-hq/recoup/stripeapi/stripefake"
)

// Two recoup processes share one PostgreSQL database. Webhooks reach the first; both work the
// jobs. Every invoice is charged exactly once per attempt key, and when the first process stops,
// the second does all the remaining, due work.
func TestE2ETwoProcessesOnePostgres(t *testing.T) {
	slow(t)
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
	// Each case's retry is timed from its own failure, so the cases fall due seconds apart: the
	// clock moves to the latest.
	latest := func(p *process) time.Time {
		var at time.Time
		for _, r := range renewals {
			if v, _ := p.caseOf(r.InvoiceID); v.Case.NextAction != nil && v.Case.NextAction.At.After(at) {
				at = v.Case.NextAction.At
			}
		}
		return at
	}
	// states describes every case as p sees it, for a timeout's message.
	states := func(p *process) func() string {
		return func() string {
			var b strings.Builder
			for _, r := range renewals {
				v, ok := p.caseOf(r.InvoiceID)
				switch {
				case !ok:
					fmt.Fprintf(&b, "\n%s: no case", r.InvoiceID)
				case v.Case.NextAction != nil:
					fmt.Fprintf(&b, "\n%s: %s, %d attempts, %s at %s (now %s)", r.InvoiceID, v.Case.State, v.Case.Attempts,
						v.Case.NextAction.Kind, v.Case.NextAction.At.Format(time.RFC3339), w.clock.Now().Format(time.RFC3339))
				default:
					fmt.Fprintf(&b, "\n%s: %s, %d attempts", r.InvoiceID, v.Case.State, v.Case.Attempts)
				}
			}
			return b.String()
		}
	}
	a.waitFor("all cases scheduled", func() bool { return scheduled(a, 0) }, states(a))
	// First retries: both processes work them.
	w.clock.advanceTo(latest(a))
	a.waitFor("every first charge declined", func() bool { return scheduled(a, 1) }, states(a))

	// The first process goes away; the second does the rest.
	a.stop()
	w.clock.advanceTo(latest(b))
	b.waitFor("every case recovered", func() bool {
		for _, r := range renewals {
			if v, ok := b.caseOf(r.InvoiceID); !ok || v.Case.State != recoup.StateRecovered {
				return false
			}
		}
		return true
	}, states(b))
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
