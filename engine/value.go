package engine

import (
	"fmt"
	"math"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// largeInvoice applies retry.large_invoices: when the case's amount is among the top share of
// the amounts the timing model learned its outcomes from (the account's own charges, Stripe's
// and the imported history's), it returns the policy with the larger budget and the lower least
// probability worth a charge, and the words the decision gives for it. Otherwise p, "".
func (e *Engine) largeInvoice(tx recoup.Tx, c recoup.Case, p *policy.Policy, now time.Time) (*policy.Policy, string, error) {
	l := p.Retry.LargeInvoices
	if !l.On() {
		return p, "", nil
	}
	e.learner.mu.Lock()
	defer e.learner.mu.Unlock()
	if err := e.learner.sync(tx, now, p.Retry.Model.Priors); err != nil {
		return p, "", fmt.Errorf("case %d: timing model: %w", c.ID, err)
	}
	r := e.learner.model.RankAmount(c.Amount.Amount, c.Amount.Currency)
	if !r.Top(l.TopShare, policy.LargeInvoicesMinOutcomes) {
		return p, "", nil
	}
	q, why := p.ForLargeInvoice(fmt.Sprintf("%s %s: %s of the account's %d learned outcomes were for as much or more",
		r.Bucket, c.Amount.Currency, pct(r.Above+r.At), r.Outcomes))
	return q, why, nil
}

// pct words a share as a percentage, "under 1%" for a small one.
func pct(x float64) string {
	if x > 0 && x < 0.01 {
		return "under 1%"
	}
	return fmt.Sprintf("%.0f%%", math.Round(100*x))
}
