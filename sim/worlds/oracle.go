package worlds

import (
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// oracle is the best any policy could reach for the invoice while obeying the network rules,
// from its hidden state. It takes the earliest of three routes (four with a working second
// saved method, charged at the first failure), each before the window ends and
// before a leaver cancels:
//   - retries on the card that failed (or on it once the updater refreshed it): the earliest t
//     at which a single charge, the first after the first failure, passes (retryOracle);
//   - the customer acting unprompted (ownAt), if what they do works;
//   - messages: the fewest best messages whose persuasion exceeds the customer's w, sent
//     Crowded apart at the best local hour, none of them making the customer cancel
//     (messageOracle).
//
// The first two need no message, so they make ByRetry true.
func (inv *invoice) oracle(p *RealisticParams) sim.Oracle {
	end := inv.end
	if !inv.leaveAt.IsZero() && inv.leaveAt.Before(end) {
		end = inv.leaveAt
	}
	var o sim.Oracle
	consider := func(t time.Time, byRetry bool) {
		if !t.Before(end) {
			return
		}
		if !o.Recoverable || t.Before(o.At) {
			o.At = t
		}
		o.Recoverable = true
		o.ByRetry = o.ByRetry || byRetry
	}
	if t, ok := inv.retryOracle(end, p); ok {
		consider(t, true)
	}
	if !inv.ownAt.IsZero() && inv.customerCanPay() {
		consider(inv.ownAt, false)
	}
	if inv.backup != nil && inv.backupGood {
		// A policy may charge the second saved method as soon as the first payment failed
		// (backup_payment_method); not a retry of the card that failed.
		consider(inv.t0, false)
	}
	if t, ok := inv.messageOracle(end, p); ok {
		consider(t, false)
	}
	return o
}

// customerCanPay reports whether the customer's action collects the invoice: an authenticated
// payment always does, a replacement card if it works.
func (inv *invoice) customerCanPay() bool {
	return inv.cat == recoup.CategoryAuthentication || inv.newCardGood
}

// retryOracle returns the earliest t in [t0, end) at which one charge on the card that failed
// passes, with no charge before it but the first failure.
//
// It is exact and an upper bound on every policy. judge is piecewise constant in t between the
// candidates (hour boundaries and paydays move p(t) and the funded windows; the technical
// clearance, the hold, the lift and the refresh are instants; fatigue and the fraud hazard step
// at 24 h and 72 h after the first failure), so the earliest passing t is a candidate. And any
// policy's charge passes at t only if this one does: its earlier charges only add fatigue and
// hazard, and its first screened charge, at or before t, saw the same fraud draw with at least
// the hazard this one sees.
func (inv *invoice) retryOracle(end time.Time, p *RealisticParams) (time.Time, bool) {
	if inv.base == never && inv.updaterAt.IsZero() {
		return time.Time{}, false
	}
	cands := []time.Time{inv.t0, inv.holdUntil, inv.t0.Add(day), inv.t0.Add(3 * day)}
	for _, t := range []time.Time{inv.clearAt, inv.liftAt, inv.updaterAt} {
		if !t.IsZero() {
			cands = append(cands, t)
		}
	}
	if inv.base == funds {
		cands = append(cands, inv.pay.between(inv.t0, end)...)
	}
	slices.SortFunc(cands, time.Time.Compare)
	// Each probe judges the card as it was right after the failure: a copy of one fresh card
	// (judge counts its screened charges and may flag it; it only reads its charge times).
	fresh := inv.fresh()
	passes := func(t time.Time) bool {
		if t.Before(inv.t0) || !t.Before(end) {
			return false
		}
		c := *fresh
		ok, _, _ := inv.judge(&c, t, p)
		return ok
	}
	if inv.base != soft {
		for _, t := range cands {
			if passes(t) {
				return t, true
			}
		}
		return time.Time{}, false
	}
	// A soft decline also changes at every local hour: the hour marks are merged in time order
	// as they come, not listed (up to 24 a day of the window) and sorted, since the earliest
	// passing candidate usually comes early. judge is a function of the time alone (a fresh
	// card each time), so the order of equal times does not matter.
	//
	// At an hour mark only a lifted hold can pass (a refreshed card passes from updaterAt on, a
	// candidate before any later mark), and only if the invoice's draw is under the highest
	// chance any hour gives: the marks before the lift, or all of them when no hour can pass,
	// are not judged.
	i := 0
	var found time.Time
	ok := false
	from, marks := inv.t0, !inv.liftAt.IsZero() && inv.u < p.Soft.highest()
	if inv.liftAt.After(from) {
		from = inv.liftAt
	}
	if !marks {
		from = end
	}
	eachHourMark(from, end, inv.loc, func(h time.Time) bool {
		for ; i < len(cands) && !cands[i].After(h); i++ {
			if passes(cands[i]) {
				found, ok = cands[i], true
				return false
			}
		}
		if passes(h) {
			found, ok = h, true
			return false
		}
		return true
	})
	for ; !ok && i < len(cands); i++ {
		if passes(cands[i]) {
			found, ok = cands[i], true
		}
	}
	return found, ok
}

// fresh is the card that failed as it was right after the first failure.
func (inv *invoice) fresh() *card {
	c := *inv.cards[0]
	c.charges, c.declines = []time.Time{inv.t0}, []time.Time{inv.t0}
	c.screened, c.flagged = 0, false
	return &c
}

// messageOracle returns when the best message sequence gets the customer to act, if it does.
//
// Any policy's (k+1)-th message persuades at most best(k), so a policy needs at least as many
// messages as this plan; its annoyance after j messages is at least j, and the j-th message's
// cancel draw is the same, so whenever this plan's customer cancels, the policy's does too.
// When the plan does not fit in the window, a tighter one might, so the invoice counts as
// recoverable at the earliest the customer could act.
func (inv *invoice) messageOracle(end time.Time, p *RealisticParams) (time.Time, bool) {
	if inv.leaver || !inv.customerCanPay() {
		return time.Time{}, false
	}
	mp := &p.Messages
	need, s := -1, 0.0
	for k := range mp.Lift {
		if k+1 > inv.tolerance {
			break // the plan's (k+1)-th message leaves annoyance k+1: past tolerance, unread
		}
		s += mp.best(k)
		if inv.w < s {
			need = k + 1
			break
		}
	}
	if need < 0 {
		return time.Time{}, false
	}
	for j := 1; j <= need; j++ {
		if inv.uniform(streamCancel, uint64(j)) < p.Customer.cancelChance(j, inv.tolerance) {
			return time.Time{}, false
		}
	}
	t := inv.t0
	for k := range need {
		if k > 0 {
			t = t.Add(mp.Crowded)
		}
		t = inv.nextHour(t, mp.BestFrom, mp.BestTo)
	}
	if act := inv.awake(t.Add(inv.reply), p); act.Before(end) {
		return act, true
	}
	if act := inv.awake(inv.t0.Add(inv.reply), p); act.Before(end) {
		return act, true
	}
	return time.Time{}, false
}

// nextHour returns the first time at or after t whose local hour is in [from, to).
func (inv *invoice) nextHour(t time.Time, from, to int) time.Time {
	l := t.In(inv.loc)
	if inHours(l.Hour(), from, to) {
		return t
	}
	d := time.Date(l.Year(), l.Month(), l.Day(), from, 0, 0, 0, inv.loc)
	if !d.After(t) {
		d = time.Date(l.Year(), l.Month(), l.Day()+1, from, 0, 0, 0, inv.loc)
	}
	return d
}

// eachHourMark calls yield with the local hour boundaries in (from, end), in order, until it
// returns false.
func eachHourMark(from, end time.Time, loc *time.Location, yield func(time.Time) bool) {
	t := from
	// Marks more than an hour before plain are an hour apart: the zone's offset holds until
	// then (ZoneBounds). The marks next to a change are found from the local clock, as before.
	var plain time.Time
	onMark := false
	for {
		var next time.Time
		if onMark && t.Add(2*time.Hour).Before(plain) {
			next = t.Add(time.Hour)
		} else {
			l := t.In(loc)
			next = time.Date(l.Year(), l.Month(), l.Day(), l.Hour()+1, 0, 0, 0, loc)
			if !next.After(t) {
				next = t.Add(time.Hour)
			}
			if _, plain = next.ZoneBounds(); plain.IsZero() {
				plain = end.Add(2 * time.Hour) // a zone without changes
			}
			// A local time a change skipped comes out past the hour: not a mark to count from.
			onMark = next.Minute() == 0 && next.Second() == 0
		}
		if !next.Before(end) || !yield(next) {
			return
		}
		t = next
	}
}
