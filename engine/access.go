package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// maxAccessCases bounds the cases read for one customer's standing: the newest, which hold
// any unpaid one (a customer has one open invoice per subscription at a time).
const maxAccessCases = 200

// Access is the customer's standing now (recoup.AccessSignal): good standing without an unpaid
// invoice in recovery; otherwise decided by the oldest unpaid case, under its own policy view
// (segment and arm): in grace until the grace period ends (grace_period after the first
// failure; without one, while recovery runs), restricted after it or once recovery gave up.
func (e *Engine) Access(ctx context.Context, now time.Time, customerID string) (recoup.AccessSignal, error) {
	if customerID == "" {
		return recoup.AccessSignal{}, recoup.Errorf(recoup.EINVALID, "access: empty customer id")
	}
	page, err := e.store.Cases(ctx, recoup.CaseFilter{CustomerID: customerID, Limit: maxAccessCases})
	if err != nil {
		return recoup.AccessSignal{}, fmt.Errorf("access of customer %s: %w", customerID, err)
	}
	return e.standing(now, customerID, page.Cases), nil
}

// standing decides the signal from the customer's cases.
func (e *Engine) standing(now time.Time, customerID string, cases []recoup.Case) recoup.AccessSignal {
	var unpaid []recoup.Case
	for _, c := range cases {
		if c.Unpaid() {
			unpaid = append(unpaid, c)
		}
	}
	out := recoup.AccessSignal{CustomerID: customerID, Status: recoup.StandingGood, Reason: "no unpaid invoice in recovery"}
	if len(unpaid) == 0 {
		return out
	}
	slices.SortFunc(unpaid, func(a, b recoup.Case) int { return a.FirstFailedAt.Compare(b.FirstFailedAt) })
	c := unpaid[0]
	amount := c.Amount
	out = recoup.AccessSignal{CustomerID: customerID, CaseID: c.ID, InvoiceID: c.InvoiceID, CaseState: c.State,
		Amount: &amount, FailedAt: c.FirstFailedAt, OtherUnpaid: len(unpaid) - 1}
	grace := e.view(&c).GracePeriod
	if grace > 0 {
		out.GraceEndsAt = c.FirstFailedAt.Add(grace)
	}
	switch {
	case c.State == recoup.StateExhausted:
		out.Status, out.RestrictedSince = recoup.StandingRestricted, c.ResolvedAt
		if !out.GraceEndsAt.IsZero() && out.GraceEndsAt.Before(c.ResolvedAt) {
			out.RestrictedSince = out.GraceEndsAt
		}
		out.Reason = fmt.Sprintf("recovery gave up on %s unpaid (final action: %s)", amount, c.FinalAction)
	case grace > 0 && !now.Before(out.GraceEndsAt):
		out.Status, out.RestrictedSince = recoup.StandingRestricted, out.GraceEndsAt
		out.Reason = fmt.Sprintf("%s unpaid and the grace period of %s is over", amount, days(grace))
	case grace > 0:
		out.Status = recoup.StandingGrace
		out.Reason = fmt.Sprintf("%s unpaid; recovery under way within the grace period of %s", amount, days(grace))
	default:
		out.Status = recoup.StandingGrace
		out.Reason = fmt.Sprintf("%s unpaid; recovery under way (the policy sets no grace period: access is kept until recovery gives up)", amount)
	}
	return out
}

// days writes a duration in whole days when it is one.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
