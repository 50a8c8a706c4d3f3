package decline

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// The card networks' limits the guard enforces. The Visa cap and the case budget are
// configurable within these bounds; the Mastercard limits are not.
const (
	// Visa has allowed 20 reattempts in 30 days since 25 May 2025 (15 before), but Stripe blocks
	// Visa retries after the 15th, so 15 stays the default (docs/declines.md).
	DefaultVisaReattempts30d = 15
	MaxVisaReattempts30d     = 20
	DefaultCaseBudget        = 8 // Stripe's recommendation for retryable charges
	MaxCaseBudget            = 15

	mcDeclinesDay   = 10 // Mastercard: declines of one card in 24 h
	mcDeclinesMonth = 35 // Mastercard: declines of one card and amount in 30 days
	month           = 30 * 24 * time.Hour
)

// Limits are the guard's configurable limits. A zero field takes its default.
type Limits struct {
	// VisaReattempts30d caps Visa reattempts per card and amount in 30 days (default 15; never
	// more than 20, Visa's own cap since May 2025, whatever is asked).
	VisaReattempts30d int
	// CaseBudget caps the retries after the first failure, by anyone (default 8). It is a
	// recommendation, not a network rule: the policy file bounds it, the guard takes it as given.
	CaseBudget int
}

func (l Limits) withDefaults() Limits {
	if l.VisaReattempts30d <= 0 {
		l.VisaReattempts30d = DefaultVisaReattempts30d
	}
	l.VisaReattempts30d = min(l.VisaReattempts30d, MaxVisaReattempts30d)
	if l.CaseBudget <= 0 {
		l.CaseBudget = DefaultCaseBudget
	}
	return l
}

// LedgerEntry is one charge attempt on a card, by anyone: recoup, Stripe's own collection, or
// the customer on the hosted page. An entry that neither succeeded nor carries a decline (an
// outcome not known) counts as a decline: it may have reached the issuer. A decline Stripe
// never sent to the network (Decline.ReachedNetwork false) is its own kind: it counts as an
// attempt for the case budget but not towards Visa's or Mastercard's limits.
type LedgerEntry struct {
	At        time.Time
	Amount    int64
	Currency  string
	Succeeded bool
	Decline   *recoup.Decline
	ByRecoup  bool
}

// reachedNetwork reports whether the attempt counts towards the networks' limits, which count
// the authorizations they received: a charge Stripe says it never sent (its own excessive-retry
// block, a Radar block, an invalid charge) does not. It still counts towards the case budget,
// and a block still refuses the card.
func (e LedgerEntry) reachedNetwork() bool {
	return e.Succeeded || e.Decline.ReachedNetwork()
}

// Guard returns the earliest time at or after at when a charge of amount on the card whose
// attempts are ledger is allowed by the card networks' retry rules and the case budget, with the
// rule that moved it ("" if none), or ok=false and the rule that forbids any further charge.
// brand is the card's network ("visa", "mastercard", ...); an empty brand applies the rules of
// both Visa and Mastercard. The guard runs after the policy, so no policy can configure a breach.
func Guard(ledger []LedgerEntry, brand string, amount int64, at time.Time, limits Limits) (allowed time.Time, rule string, ok bool) {
	limits = limits.withDefaults()
	ledger = slices.Clone(ledger)
	slices.SortStableFunc(ledger, func(a, b LedgerEntry) int { return a.At.Compare(b.At) })
	brand = strings.ToLower(brand)
	visa := brand == "" || brand == "visa"
	mc := brand == "" || brand == "mastercard"

	// Refusals: a verdict that forbids the card for good, or the budget spent.
	retries := -1 // since the latest success, the first failure is the attempt; the rest are retries
	for _, e := range ledger {
		switch {
		case e.Succeeded:
			retries = -1
			continue
		case retries >= 0:
			retries++
		default:
			retries = 0
		}
		if e.Decline == nil {
			continue
		}
		if v := Classify(e.Decline); v.Category == recoup.CategoryHard {
			what := "declined"
			if e.Decline.RetryBlocked() {
				what = "blocked"
			}
			return time.Time{}, fmt.Sprintf("%s (%s %s)", v.Rule, what, e.At.UTC().Format(time.RFC3339)), false
		}
	}
	if retries >= limits.CaseBudget {
		return time.Time{}, fmt.Sprintf("case budget: %d retries after the first failure, at most %d (retries by recoup, Stripe or the customer)", retries, limits.CaseBudget), false
	}

	// Delays: each rule is satisfied from some time on, so the latest of those times is the
	// earliest that satisfies all of them (the ledger's entries are all in the past).
	allowed = at
	move := func(t time.Time, why string) {
		if t.After(allowed) {
			allowed, rule = t, why
		}
	}
	for _, e := range ledger {
		if e.Succeeded || e.Decline == nil {
			continue
		}
		if w := macWait[strings.TrimSpace(e.Decline.NetworkAdviceCode)]; w > 0 {
			move(e.At.Add(w), fmt.Sprintf("Mastercard merchant advice code %s on %s: wait %s", e.Decline.NetworkAdviceCode, e.At.UTC().Format(time.RFC3339), w))
		}
	}
	if visa {
		// Per card and amount since the latest success: the first charge is the attempt, every
		// later one a reattempt; the new charge would be one more.
		var since []time.Time
		for _, e := range ledger {
			switch {
			case e.Succeeded:
				since = since[:0]
			case e.Amount == amount && e.reachedNetwork():
				since = append(since, e.At)
			}
		}
		if len(since) > 0 {
			move(windowOpens(since[1:], limits.VisaReattempts30d-1, month),
				fmt.Sprintf("Visa: at most %d reattempts in 30 days per card and amount", limits.VisaReattempts30d))
		}
	}
	if mc {
		var day, sameAmount []time.Time
		for _, e := range ledger {
			if e.Succeeded || !e.reachedNetwork() {
				continue
			}
			day = append(day, e.At)
			if e.Amount == amount {
				sameAmount = append(sameAmount, e.At)
			}
		}
		move(windowOpens(day, mcDeclinesDay-1, 24*time.Hour), fmt.Sprintf("Mastercard: at most %d declines in 24 hours per card", mcDeclinesDay))
		move(windowOpens(sameAmount, mcDeclinesMonth-1, month), fmt.Sprintf("Mastercard: at most %d declines in 30 days per card and amount", mcDeclinesMonth))
	}
	return allowed, rule, true
}

// windowOpens is the earliest time t at which at most k of ts (ascending, all in the past) lie
// in (t-d, t]: the (len-k)-th latest time plus d, or the zero time if there are no more than k.
func windowOpens(ts []time.Time, k int, d time.Duration) time.Time {
	if len(ts) <= k {
		return time.Time{}
	}
	return ts[len(ts)-k-1].Add(d)
}
