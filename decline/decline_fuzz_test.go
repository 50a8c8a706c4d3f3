package decline_test

import (
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/decline"
)

// FuzzClassify feeds the classifier any codes Stripe, an issuer or a network could send,
// known or not. Every decline gets a category of the taxonomy and a rule in words; a hard
// decline is never retried; and the guard, given a ledger of that decline, answers without
// panicking and never allows a charge before the time asked.
func FuzzClassify(f *testing.F) {
	f.Add("card_declined", "insufficient_funds", "", "", "51", "visa", "", "")
	f.Add("card_declined", "generic_decline", "", "", "", "visa", "previously_declined_do_not_retry", "not_sent_to_network")
	f.Add("expired_card", "expired_card", "", "", "54", "mastercard", "", "")
	f.Add("card_declined", "do_not_honor", "do_not_try_again", "03", "57", "", "", "")
	f.Add("", "", "try_again_later", "21", "", "amex", "", "")
	f.Fuzz(func(t *testing.T, code, declineCode, advice, mac, network, brand, reason, status string) {
		d := &recoup.Decline{Code: code, DeclineCode: declineCode, AdviceCode: advice, NetworkAdviceCode: mac,
			NetworkDeclineCode: network, CardBrand: brand, OutcomeReason: reason, NetworkStatus: status}
		v := decline.Classify(d)
		if !slices.Contains(recoup.Categories, v.Category) {
			t.Fatalf("%+v: category %q is not in the taxonomy", d, v.Category)
		}
		if v.Rule == "" {
			t.Fatalf("%+v: no rule", d)
		}
		if v.Category == recoup.CategoryHard && v.Retry {
			t.Fatalf("%+v: a hard decline retried (%s)", d, v.Rule)
		}
		at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		ledger := []decline.LedgerEntry{{At: at.Add(-time.Hour), Amount: 1000, Decline: d}}
		when, rule, ok := decline.Guard(ledger, brand, 1000, at, decline.Limits{})
		if ok && when.Before(at) {
			t.Fatalf("%+v: guard allows %s, before the %s asked (%s)", d, when, at, rule)
		}
		if !ok && rule == "" {
			t.Fatalf("%+v: guard refuses without a rule", d)
		}
	})
}
