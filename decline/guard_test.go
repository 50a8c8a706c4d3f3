package decline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

var (
	t0   = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	soft = &recoup.Decline{Code: "card_declined", DeclineCode: "do_not_honor", NetworkDeclineCode: "05"}
	// blocked is a retry Stripe refused to send to Visa as excessive.
	blocked = &recoup.Decline{Code: "card_declined", DeclineCode: "generic_decline", OutcomeType: "blocked",
		OutcomeReason: "previously_declined_do_not_retry", NetworkStatus: "not_sent_to_network", CardBrand: "visa"}
	// notSent is a charge Stripe refused before the network without barring the card: a card
	// number that cannot exist.
	notSent = &recoup.Decline{Code: "incorrect_number", DeclineCode: "incorrect_number", OutcomeType: "invalid", NetworkStatus: "not_sent_to_network"}
	// roomy isolates a network rule from the case budget.
	roomy = decline.Limits{CaseBudget: 1000}
)

// declines returns n declines of amount 1000 on a card, every step apart, the last at last.
func declines(n int, last time.Time, step time.Duration) []decline.LedgerEntry {
	out := make([]decline.LedgerEntry, n)
	for i := range out {
		out[i] = decline.LedgerEntry{At: last.Add(-time.Duration(n-1-i) * step), Amount: 1000, Currency: "usd", Decline: soft, ByRecoup: true}
	}
	return out
}

func withDecline(l []decline.LedgerEntry, i int, d *recoup.Decline) []decline.LedgerEntry {
	l[i].Decline = d
	return l
}

func TestGuard(t *testing.T) {
	at := t0.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		ledger  []decline.LedgerEntry
		brand   string
		amount  int64
		at      time.Time
		limits  decline.Limits
		want    time.Time // zero: refused
		ruleHas string
	}{
		{name: "empty ledger", brand: "visa", amount: 1000, at: at, want: at},
		{name: "one soft decline", ledger: declines(1, t0, time.Hour), brand: "visa", amount: 1000, at: at, want: at},

		// Refusals.
		{name: "Visa category 1 code", brand: "visa", amount: 1000, at: at,
			ledger:  withDecline(declines(2, t0, time.Hour), 0, &recoup.Decline{Code: "card_declined", DeclineCode: "do_not_honor", NetworkDeclineCode: "07", CardBrand: "visa"}),
			ruleHas: "Visa category 1 response code 07"},
		{name: "hard verdict on any brand", brand: "amex", amount: 1000, at: at,
			ledger:  withDecline(declines(1, t0, time.Hour), 0, &recoup.Decline{Code: "card_declined", DeclineCode: "stolen_card"}),
			ruleHas: "stolen_card"},
		{name: "Mastercard MAC 03", brand: "mastercard", amount: 1000, at: t0.Add(40 * 24 * time.Hour),
			ledger:  withDecline(declines(1, t0, time.Hour), 0, &recoup.Decline{Code: "card_declined", DeclineCode: "do_not_honor", NetworkAdviceCode: "03", CardBrand: "mastercard"}),
			ruleHas: "merchant advice code 03"},
		{name: "Mastercard MAC 21", brand: "mastercard", amount: 1000, at: at,
			ledger:  withDecline(declines(1, t0, time.Hour), 0, &recoup.Decline{Code: "card_declined", NetworkAdviceCode: "21"}),
			ruleHas: "merchant advice code 21"},
		{name: "Stripe blocked a retry", brand: "visa", amount: 1000, at: t0.Add(40 * 24 * time.Hour),
			ledger:  withDecline(declines(3, t0, time.Hour), 2, blocked),
			ruleHas: "Stripe blocked this retry: the card was declined before and Visa's rules forbid retrying it (blocked 2026-03-01T10:00:00Z)"},
		{name: "Stripe blocked a retry, brand unknown", brand: "", amount: 1000, at: at,
			ledger: withDecline(declines(2, t0, time.Hour), 1, blocked), ruleHas: "Stripe blocked this retry"},
		{name: "a customer-fix decline is no network ban", brand: "visa", amount: 1000, at: at, want: at,
			ledger: withDecline(declines(1, t0, time.Hour), 0, &recoup.Decline{Code: "expired_card", DeclineCode: "expired_card", NetworkDeclineCode: "54"})},

		// Mastercard advice waits, from the ledger.
		{name: "MAC 26 waits 2 days", brand: "mastercard", amount: 1000, at: at, want: t0.Add(48 * time.Hour), ruleHas: "merchant advice code 26",
			ledger: withDecline(declines(1, t0, time.Hour), 0, &recoup.Decline{Code: "card_declined", NetworkAdviceCode: "26"})},
		{name: "MAC wait of an earlier decline still holds", brand: "mastercard", amount: 1000, at: at, want: t0.Add(-time.Hour + 240*time.Hour), ruleHas: "code 30",
			ledger: withDecline(declines(2, t0, time.Hour), 0, &recoup.Decline{Code: "card_declined", NetworkAdviceCode: "30"})},
		{name: "MAC wait already over", brand: "mastercard", amount: 1000, at: t0.Add(time.Hour), want: t0.Add(time.Hour),
			ledger: withDecline(declines(1, t0, time.Hour), 0, &recoup.Decline{Code: "card_declined", NetworkAdviceCode: "24"})},

		// Case budget: retries after the first failure, by anyone.
		{name: "budget: 7 retries, 8th allowed", brand: "amex", amount: 1000, at: at, want: at, ledger: declines(8, t0, 24*time.Hour)},
		{name: "budget: 8 retries, refused", brand: "amex", amount: 1000, at: at, ruleHas: "case budget: 8 retries", ledger: declines(9, t0, 24*time.Hour)},
		{name: "budget counts Stripe's attempts", brand: "amex", amount: 1000, at: at, ruleHas: "case budget",
			ledger: stripeMade(declines(9, t0, 24*time.Hour), 0, 3, 5, 7)},
		{name: "budget configured to 10", brand: "amex", amount: 1000, at: at, want: at, limits: decline.Limits{CaseBudget: 10}, ledger: declines(10, t0, 24*time.Hour)},
		{name: "budget restarts after a success", brand: "amex", amount: 1000, at: at, want: at, ledger: succeeded(declines(12, t0, 24*time.Hour), 5)},

		// Visa: at most 15 reattempts in 30 days per card and amount; the first failure is the attempt.
		{name: "Visa: 14 reattempts, 15th allowed", brand: "visa", amount: 1000, at: at, want: at, limits: roomy, ledger: declines(15, t0, time.Hour)},
		{name: "Visa: 15 reattempts, moved until the oldest is 30 days old", brand: "visa", amount: 1000, at: at, limits: roomy,
			ledger: declines(16, t0, time.Hour), want: t0.Add(-14*time.Hour + 30*24*time.Hour), ruleHas: "Visa: at most 15 reattempts"},
		{name: "Visa: 16 reattempts (made by others), moved until two are 30 days old", brand: "visa", amount: 1000, at: at, limits: roomy,
			ledger: stripeMade(declines(17, t0, time.Hour), 3, 4), want: t0.Add(-14*time.Hour + 30*24*time.Hour), ruleHas: "Visa"},
		{name: "Visa: cap configured to 20", brand: "visa", amount: 1000, at: at, want: at, limits: decline.Limits{CaseBudget: 1000, VisaReattempts30d: 20}, ledger: declines(16, t0, time.Hour)},
		{name: "Visa: cap never above 20", brand: "visa", amount: 1000, at: at, limits: decline.Limits{CaseBudget: 1000, VisaReattempts30d: 50},
			ledger: declines(21, t0, time.Hour), want: t0.Add(-19*time.Hour + 30*24*time.Hour), ruleHas: "Visa: at most 20"},
		{name: "Visa: a success resets the count", brand: "visa", amount: 1000, at: at, want: at, limits: roomy, ledger: succeeded(declines(20, t0, time.Hour), 4)},
		{name: "Visa: another amount is another count", brand: "visa", amount: 2000, at: at, want: at, limits: roomy, ledger: declines(20, t0, time.Hour)},
		{name: "Visa: reattempts older than 30 days do not count", brand: "visa", amount: 1000, at: at, want: at, limits: roomy,
			ledger: declines(16, t0, 3*24*time.Hour)},
		{name: "Visa rule not applied to Mastercard", brand: "mastercard", amount: 1000, at: at, want: at, limits: roomy, ledger: declines(20, t0, 3*time.Hour)},

		{name: "Visa: a charge Stripe did not send to the network is no reattempt", brand: "visa", amount: 1000, at: at, want: at, limits: roomy,
			ledger: withDecline(declines(16, t0, time.Hour), 7, notSent)},
		{name: "Visa: a charge not sent is no first attempt either", brand: "visa", amount: 1000, at: at, want: at, limits: roomy,
			ledger: withDecline(declines(16, t0, time.Hour), 0, notSent)},

		// Mastercard: at most 10 declines in 24 h per card, 35 in 30 days per card and amount.
		{name: "MC: 9 declines in 24h, allowed", brand: "mastercard", amount: 1000, at: at, want: at, limits: roomy, ledger: declines(9, t0, time.Hour)},
		{name: "MC: 10 declines in 24h, moved until the oldest is 24h old", brand: "mastercard", amount: 1000, at: at, limits: roomy,
			ledger: declines(10, t0, time.Hour), want: t0.Add(-9*time.Hour + 24*time.Hour), ruleHas: "Mastercard: at most 10 declines in 24 hours"},
		{name: "MC: 11 declines in 24h, moved until two are 24h old", brand: "mastercard", amount: 1000, at: at, limits: roomy,
			ledger: declines(11, t0, time.Hour), want: t0.Add(-9*time.Hour + 24*time.Hour), ruleHas: "24 hours"},
		{name: "MC: exactly 24h after the oldest of 10 is allowed", brand: "mastercard", amount: 1000, at: t0.Add(-9*time.Hour + 24*time.Hour), want: t0.Add(-9*time.Hour + 24*time.Hour),
			limits: roomy, ledger: declines(10, t0, time.Hour)},
		{name: "MC: the 24h rule counts every amount", brand: "mastercard", amount: 2000, at: at, limits: roomy,
			ledger: declines(10, t0, time.Hour), want: t0.Add(15 * time.Hour), ruleHas: "24 hours"},
		{name: "MC: 34 declines in 30 days, allowed", brand: "mastercard", amount: 1000, at: at, want: at, limits: roomy, ledger: declines(34, t0, 20*time.Hour)},
		{name: "MC: 35 declines in 30 days, moved", brand: "mastercard", amount: 1000, at: at, limits: roomy,
			ledger: declines(35, t0, 20*time.Hour), want: t0.Add(-34*20*time.Hour + 30*24*time.Hour), ruleHas: "35 declines in 30 days"},
		{name: "MC: the 30-day rule is per amount", brand: "mastercard", amount: 2000, at: at, want: at, limits: roomy, ledger: declines(35, t0, 20*time.Hour)},
		{name: "MC: a charge Stripe did not send to the network is no decline", brand: "mastercard", amount: 1000, at: at, want: at, limits: roomy,
			ledger: withDecline(declines(10, t0, time.Hour), 4, notSent)},
		{name: "budget: a charge not sent to the network is still a retry", brand: "visa", amount: 1000, at: at, ruleHas: "case budget: 8 retries",
			ledger: withDecline(declines(9, t0, 24*time.Hour), 4, notSent)},
		{name: "unknown brand: Mastercard's rules apply", brand: "", amount: 1000, at: at, limits: roomy,
			ledger: declines(10, t0, time.Hour), want: t0.Add(15 * time.Hour), ruleHas: "Mastercard"},
		{name: "unknown brand: Visa's rules apply", brand: "", amount: 1000, at: at, limits: roomy,
			ledger: declines(16, t0, 2*time.Hour), want: t0.Add(-28*time.Hour + 30*24*time.Hour), ruleHas: "Visa"},
		{name: "Amex: no count limits", brand: "amex", amount: 1000, at: at, want: at, limits: roomy, ledger: declines(40, t0, time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rule, ok := decline.Guard(tc.ledger, tc.brand, tc.amount, tc.at, tc.limits)
			if tc.want.IsZero() {
				if ok {
					t.Fatalf("allowed at %s (%q), want refused", got, rule)
				}
			} else if !ok || !got.Equal(tc.want) {
				t.Fatalf("Guard = %s, %q, %v; want %s", got, rule, ok, tc.want)
			}
			if !strings.Contains(rule, tc.ruleHas) || (tc.ruleHas == "" && rule != "") {
				t.Errorf("rule %q, want it to name %q", rule, tc.ruleHas)
			}
		})
	}
}

// The guard's answer satisfies every rule: charging at the time it gives and declining there
// again never leaves more than 10 Mastercard declines in 24 h, whatever the policy asks.
func TestGuardKeepsMastercardWithinLimits(t *testing.T) {
	var ledger []decline.LedgerEntry
	at := t0
	for range 200 {
		got, _, ok := decline.Guard(ledger, "mastercard", 1000, at, roomy)
		if !ok {
			t.Fatal("refused")
		}
		ledger = append(ledger, decline.LedgerEntry{At: got, Amount: 1000, Decline: soft})
		n, m := 0, 0
		for _, e := range ledger {
			if got.Sub(e.At) < 24*time.Hour {
				n++
			}
			if got.Sub(e.At) < 30*24*time.Hour {
				m++
			}
		}
		if n > 10 || m > 35 {
			t.Fatalf("after charge %d at %s: %d declines in 24h, %d in 30 days", len(ledger), got, n, m)
		}
		at = got.Add(time.Minute) // an adversary: charge again a minute later
	}
}

func stripeMade(l []decline.LedgerEntry, idx ...int) []decline.LedgerEntry {
	for _, i := range idx {
		l[i].ByRecoup = false
	}
	return l
}

func succeeded(l []decline.LedgerEntry, i int) []decline.LedgerEntry {
	l[i].Succeeded, l[i].Decline = true, nil
	return l
}
