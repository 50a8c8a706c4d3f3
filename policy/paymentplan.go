package policy

import (
	"fmt"
	"time"

	"github.com/recoup-hq/recoup"
)

// PlanPart is one invoice of a payment plan: its amount and when it falls due.
type PlanPart struct {
	N      int // 1-based
	Amount int64
	DueAt  time.Time
}

// PlanParts splits amount (minor units) into the policy's payment plan, the first part due at
// start and each next one Every later. The parts add up to amount exactly: the remainder of the
// division goes to the first part. An EINVALID error says why there is no plan for the amount.
func (p *Policy) PlanParts(amount recoup.Money, start time.Time) ([]PlanPart, error) {
	pp := p.PaymentPlan
	switch {
	case pp == nil:
		return nil, recoup.Errorf(recoup.EINVALID, "segment %s of the policy offers no payment plan", p.Segment)
	case amount.Amount < pp.Above:
		return nil, recoup.Errorf(recoup.EINVALID, "a payment plan needs at least %s, the invoice is %s",
			recoup.Money{Amount: pp.Above, Currency: amount.Currency}, amount)
	case amount.Amount < int64(pp.Parts):
		return nil, recoup.Errorf(recoup.EINVALID, "%s cannot be split into %d parts", amount, pp.Parts)
	}
	each := amount.Amount / int64(pp.Parts)
	parts := make([]PlanPart, pp.Parts)
	for i := range parts {
		parts[i] = PlanPart{N: i + 1, Amount: each, DueAt: start.Add(time.Duration(i) * pp.Every)}
	}
	parts[0].Amount += amount.Amount - each*int64(pp.Parts)
	return parts, nil
}

// String describes the plan for a timeline.
func (pp *PaymentPlan) String() string {
	return fmt.Sprintf("%d parts, %s apart", pp.Parts, days(pp.Every))
}
