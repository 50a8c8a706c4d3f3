package report

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// visa20 is when Visa's reattempt limit rose from 15 to 20 in 30 days (Visa Rules ID 0030640,
// docs/declines.md): a charge is judged by the rule of its day.
var visa20 = time.Date(2025, 5, 25, 0, 0, 0, 0, time.UTC)

// Breaches are the charges that broke a card network's retry rule: each charge is put to
// recoup's own guard (decline.Guard) as if it were a retry planned at its time, over the
// card's earlier charges since its latest success. A charge the guard would have refused (the
// card had a decline that forbids any further charge: Visa category 1, Mastercard advice 03 or
// 21, Stripe's own block) or moved later (Visa's reattempts in 30 days, Mastercard's declines
// in 24 hours and 30 days, a Mastercard advice code's wait) broke that rule. Stripe's
// recommended budget of 8 retries is a recommendation, not a network rule, and is not counted.
// The counts start with the charges given: a card's charges before them are not seen.
func Breaches(charges []recoup.HistoryCharge) []Breach {
	// Each card's charges by index: a charge is large, and most cards have few.
	cards := map[string][]int{}
	var keys []string
	for i, ch := range charges {
		if ch.Status == "pending" {
			continue
		}
		k := cardKey(ch)
		if cards[k] == nil {
			keys = append(keys, k)
		}
		cards[k] = append(cards[k], i)
	}
	out := []Breach{}
	for _, k := range keys {
		idx := cards[k]
		slices.SortStableFunc(idx, func(a, b int) int {
			return cmp.Or(charges[a].Created.Compare(charges[b].Created), strings.Compare(charges[a].ID, charges[b].ID))
		})
		var ledger []decline.LedgerEntry
		for _, i := range idx {
			ch := &charges[i]
			if len(ledger) > 0 {
				limits := decline.Limits{VisaReattempts30d: decline.DefaultVisaReattempts30d, CaseBudget: math.MaxInt}
				if !ch.Created.Before(visa20) {
					limits.VisaReattempts30d = decline.MaxVisaReattempts30d
				}
				allowed, rule, ok := decline.Guard(ledger, ch.CardBrand, ch.Amount, ch.Created, limits)
				if !ok || allowed.After(ch.Created) {
					b := Breach{ChargeID: ch.ID, InvoiceID: ch.InvoiceID, CustomerID: ch.CustomerID, Card: k,
						Brand: ch.CardBrand, At: ch.Created, Rule: rule}
					if ok {
						b.AllowedAt = allowed
					} else {
						b.Rule = "charged after a decline that forbids any further charge on the card: " + rule
					}
					out = append(out, b)
				}
			}
			if ch.Status == "succeeded" {
				ledger = ledger[:0] // a success starts the counts again
				continue
			}
			ledger = append(ledger, decline.LedgerEntry{At: ch.Created, Amount: ch.Amount, Currency: ch.Currency, Decline: ch.Decline})
		}
	}
	slices.SortFunc(out, func(a, b Breach) int { return cmp.Or(a.At.Compare(b.At), strings.Compare(a.ChargeID, b.ChargeID)) })
	return out
}

// cardKey names the card a charge used: its payment method, or, for an older charge with
// none, its customer and brand.
func cardKey(ch recoup.HistoryCharge) string {
	if ch.PaymentMethodID != "" {
		return ch.PaymentMethodID
	}
	return ch.CustomerID + "'s " + cmp.Or(ch.CardBrand, "card")
}

// ruleKind is a breach's rule without its dates, for counting breaches by rule.
func ruleKind(rule string) string {
	if i := strings.Index(rule, " ("); i > 0 && strings.HasSuffix(rule, ")") {
		rule = rule[:i] // a refusal: "... (declined 2026-03-04T10:00:00Z)"
	}
	if i := strings.Index(rule, " on "); i > 0 && strings.HasPrefix(rule, "Mastercard merchant advice code") {
		rule = rule[:i] + rule[strings.Index(rule, ": wait"):] // "... code 25 on <time>: wait 24h0m0s"
	}
	return rule
}
