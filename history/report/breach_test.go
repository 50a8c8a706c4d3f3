package report

import (
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// card returns n charges of one card every step from start, all declined with code except the
// ones listed as passing.
func card(pm, brand string, start time.Time, step time.Duration, n int, code string, passing ...int) []recoup.HistoryCharge {
	var out []recoup.HistoryCharge
	for i := range n {
		c := code
		for _, p := range passing {
			if p == i {
				c = ""
			}
		}
		ch := charge(fmt.Sprintf("%s_%02d", pm, i), "", pm, start.Add(time.Duration(i)*step), 1000, "usd", c)
		ch.CardBrand = brand
		out = append(out, ch)
	}
	return out
}

func TestBreaches(t *testing.T) {
	old := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC) // Visa's limit was 15 then, 20 since 25 May 2025
	macDecline := func(chs []recoup.HistoryCharge, i int, mac string) []recoup.HistoryCharge {
		chs[i].Decline.NetworkAdviceCode = mac
		return chs
	}
	for _, tc := range []struct {
		name    string
		charges []recoup.HistoryCharge
		want    []string // charge: rule
	}{
		{"Visa, 2025: the 16th reattempt in 30 days breaks the limit of 15", card("pm_v", "visa", old, day, 18, "insufficient_funds"),
			[]string{"pm_v_16: Visa: at most 15 reattempts in 30 days per card and amount", "pm_v_17: Visa: at most 15 reattempts in 30 days per card and amount"}},
		{"Visa, 2026: 17 reattempts in 30 days are within the limit of 20", card("pm_v", "visa", t0, day, 18, "insufficient_funds"), nil},
		{"Visa: a success starts the count again", card("pm_v", "visa", old, day, 18, "insufficient_funds", 8), nil},
		{"Mastercard: the 11th charge in 24 hours after 10 declines", card("pm_m", "mastercard", t0, time.Hour, 11, "do_not_honor"),
			[]string{"pm_m_10: Mastercard: at most 10 declines in 24 hours per card"}},
		{"Mastercard, 10 charges in 24 hours are within the limit", card("pm_m", "mastercard", t0, time.Hour, 10, "do_not_honor"), nil},
		{"a charge before a Mastercard advice code's wait ends", macDecline(card("pm_m", "mastercard", t0, 12*time.Hour, 3, "insufficient_funds"), 0, "25"),
			[]string{"pm_m_01: Mastercard merchant advice code 25 on 2026-03-02T10:00:00Z: wait 24h0m0s"}},
		{"a charge after a Visa category-1 code", func() []recoup.HistoryCharge {
			chs := card("pm_v", "visa", t0, day, 2, "generic_decline")
			chs[0].Decline.NetworkDeclineCode = "14"
			return chs
		}(), []string{"pm_v_01: charged after a decline that forbids any further charge on the card: Visa category 1 response code 14: never retry this card (declined 2026-03-02T10:00:00Z)"}},
		{"an Amex card has no count limit", card("pm_a", "amex", t0, time.Hour, 30, "do_not_honor"), nil},
		{"another card of the same customer starts clean", append(card("pm_1", "mastercard", t0, time.Hour, 10, "do_not_honor"),
			card("pm_2", "mastercard", t0.Add(11*time.Hour), time.Hour, 1, "")...), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, b := range Breaches(tc.charges) {
				got = append(got, b.ChargeID+": "+b.Rule)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("breaches:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
