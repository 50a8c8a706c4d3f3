package worlds

import (
	"math"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// judge decides an off-session charge on card c at t: whether it pays, the decline if not, and
// which mechanism a success counts as. It is a function of the invoice's latent draws, t and c's
// history; it changes only c's fraud-screen state (the caller records the charge itself).
func (inv *invoice) judge(c *card, t time.Time, p *RealisticParams) (bool, recoup.Decline, sim.Mechanism) {
	if c.flagged {
		return false, inv.buildFixed(p.Fraud.Decline, c), ""
	}
	if c.backup {
		if inv.backupGood {
			return true, recoup.Decline{}, byBackup
		}
		return false, inv.buildFixed(p.BadCard, c), ""
	}
	if c.replacement {
		if inv.newCardGood {
			return true, recoup.Decline{}, sim.ByCustomerNewCard
		}
		return false, inv.buildFixed(p.BadCard, c), ""
	}
	if inv.refreshed(t) {
		if inv.refreshGood {
			return true, recoup.Decline{}, sim.ByCardUpdater
		}
		return false, inv.buildFixed(p.BadCard, c), ""
	}
	b, d := inv.behaviourAt(t)
	if t.Before(inv.holdUntil) {
		return false, d, "" // the issuer keeps to the wait its advice code asked for
	}
	switch b {
	case good:
		return true, recoup.Decline{}, sim.ByRetry
	case never:
		return false, d, ""
	}
	// The issuer looks at the charge for fraud before it looks at the money: a charge soon
	// after earlier ones may get the card blocked for good. The draw is indexed by the number of
	// screened charges, so the first screened charge of every policy sees the same draw.
	c.screened++
	if h := hazard(c, t, b, p); h > 0 && inv.uniform(streamFlag, uint64(c.screened)) < h {
		c.flagged = true
		return false, inv.buildFixed(p.Fraud.Decline, c), ""
	}
	if b == funds && inv.funded(t) || b == soft && inv.softPasses(c, t, p) {
		return true, recoup.Decline{}, sim.ByRetry
	}
	return false, d, ""
}

// behaviourAt is what the card that failed does at t: the technical failure until it clears,
// then the base behaviour.
func (inv *invoice) behaviourAt(t time.Time) (behaviour, recoup.Decline) {
	if inv.technical && t.Before(inv.clearAt) {
		return never, inv.first
	}
	return inv.base, inv.baseDecline
}

// refreshed reports whether the card updater has refreshed the card that failed by t.
func (inv *invoice) refreshed(t time.Time) bool {
	return !inv.updaterAt.IsZero() && !t.Before(inv.updaterAt)
}

// recent counts c's charges before t less than 24 h old and 24-72 h old.
func recent(c *card, t time.Time) (n24, n72 int) {
	for _, at := range c.charges {
		switch age := t.Sub(at); {
		case age < 0:
		case age < 24*time.Hour:
			n24++
		case age < 72*time.Hour:
			n72++
		}
	}
	return n24, n72
}

// hazard is the chance that a charge at t makes the issuer flag the card. It never increases
// as charges age and never decreases with more of them, which keeps the oracle exact.
func hazard(c *card, t time.Time, b behaviour, p *RealisticParams) float64 {
	n24, n72 := recent(c, t)
	pass := math.Pow(1-p.Fraud.Hazard24, float64(n24)) * math.Pow(1-p.Fraud.Hazard72, float64(n72))
	h := 1 - pass
	if b == funds {
		h *= p.Fraud.FundsScale
	}
	return h
}

// funded reports whether the customer's balance covers the invoice at t: t falls within
// fundedFor of the last payday, and that pay cycle is funded (never the first failure's).
func (inv *invoice) funded(t time.Time) bool {
	at, ok := inv.pay.last(t)
	if !ok || at.Equal(inv.shortCycle) || !t.Before(at.Add(inv.fundedFor)) {
		return false
	}
	return inv.uniform(streamCycle, uint64(at.Unix())) < inv.q
}

// softPasses reports whether a generic issuer decline passes at t: the hold has lifted and the
// invoice's latent u is below p(t), lowered by the card's recent charges.
func (inv *invoice) softPasses(c *card, t time.Time, p *RealisticParams) bool {
	if inv.liftAt.IsZero() || t.Before(inv.liftAt) {
		return false
	}
	n24, n72 := recent(c, t)
	fatigue := math.Pow(p.Soft.Fatigue24, float64(n24)) * math.Pow(p.Soft.Fatigue72, float64(n72))
	return inv.u < inv.pSoft(t, p)*fatigue
}

// pSoft is the chance a generic issuer decline passes at t, before fatigue: the base rate by
// the cardholder's local hour and weekday.
func (inv *invoice) pSoft(t time.Time, p *RealisticParams) float64 {
	l := t.In(inv.loc)
	x := p.Soft.Base * p.Soft.Weekday[l.Weekday()]
	switch h := l.Hour(); {
	case h >= p.Soft.MorningFrom && h < p.Soft.MorningTo:
		x *= p.Soft.Morning
	case inHours(h, p.Soft.NightFrom, p.Soft.NightTo):
		x *= p.Soft.Night
	}
	return min(x, 1)
}

// highest bounds pSoft times the fatigue of a card with at most one earlier charge, at any time:
// each factor at its largest. With a negative factor it bounds nothing and is +Inf.
func (s *SoftParams) highest() float64 {
	w := 0.0
	for _, x := range s.Weekday {
		w = max(w, x)
	}
	if s.Base < 0 || min(s.Morning, s.Night, s.Fatigue24, s.Fatigue72, slices.Min(s.Weekday[:])) < 0 {
		return math.Inf(1)
	}
	return min(s.Base*w*max(1, s.Morning, s.Night), 1) * max(1, s.Fatigue24, s.Fatigue72)
}

// inHours reports whether hour h is in [from, to), wrapping midnight when to < from.
func inHours(h, from, to int) bool {
	if from <= to {
		return h >= from && h < to
	}
	return h >= from || h < to
}
