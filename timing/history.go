package timing

import (
	"slices"
	"strings"
	"time"
)

// How the customer's latest earlier case ended (History.Last).
const (
	PastPaidByRetry    = "paid_by_retry"    // a retry of the card on file collected it (recoup's or Stripe's)
	PastPaidByCustomer = "paid_by_customer" // the customer paid, or gave a card that then passed
	PastUnpaid         = "unpaid"           // closed or exhausted without the money
)

// History is what the customer's earlier cases say about this one: how the latest ended (a
// customer whose card passed a retry last time is likely to again), and the days their card
// passed after failing for lack of funds, which say when their money comes.
type History struct {
	// Last is how the latest earlier case ended: one of the Past constants, or "" when the
	// customer has no earlier case.
	Last string
	// Paid are the times a retry of the customer's card passed in an earlier case that failed
	// for lack of funds.
	Paid []time.Time
}

// historyWeights returns, for each schedule (by index), how the customer's earlier payments
// weigh on it: a payment on a day inside the window of one of the schedule's paydays is what the
// schedule predicts, and leaves its weight; a payment outside every window multiplies it by
// 1 - payFunded, the weight a declined charge in a window keeps. A past payment outside every
// window is only unlikely, not impossible, under the customer's schedule: money also comes from
// elsewhere, and people change jobs. nil when there are no payments.
func historyWeights(cal Calendar, loc *time.Location, paid []time.Time) []float64 {
	if len(paid) == 0 {
		return nil
	}
	w := make([]float64, len(schedules))
	for i := range w {
		w[i] = 1
	}
	for _, t := range paid {
		day := dayNumber(t.In(loc))
		var open uint64 // the schedules with a payday in the payWindow days up to the day
		for _, bits := range paydays(cal, day-payWindow+1, day) {
			open |= bits
		}
		for i := range w {
			if open&(1<<i) == 0 {
				w[i] *= 1 - payFunded
			}
		}
	}
	return w
}

// reason says, for a funds decision's reason, when the customer's card last passed after a
// shortage (the three latest days, in the customer's zone); "" when it never did.
func (h History) reason(loc *time.Location) string {
	if len(h.Paid) == 0 {
		return ""
	}
	paid := slices.SortedFunc(slices.Values(h.Paid), func(a, b time.Time) int { return b.Compare(a) })
	var days []string
	for _, t := range paid[:min(3, len(paid))] {
		days = append(days, t.In(loc).Format("Mon 2 Jan 2006"))
	}
	return "; their card passed after a shortage on " + strings.Join(days, ", ")
}
