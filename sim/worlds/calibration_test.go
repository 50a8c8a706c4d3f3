package worlds

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/sim"
)

// The calibration targets of calibration.md, as sanity checks on fixed policies.
func TestCalibration(t *testing.T) {
	const n = 5000
	rate, flagged := map[string]float64{}, map[string]float64{}
	for _, p := range []policy{fixedWithEmails, threeRetries, daily, dailyEmails, aggressive} {
		r := simulate(t, n, 1, p)
		total, byCat := r.rates()
		rate[p.name] = total
		for _, inv := range r.invs {
			if inv.cards[0].flagged {
				flagged[p.name] += 100.0 / n
			}
		}
		t.Logf("%-32s %5.1f%% (cards blocked %4.1f%%)  %v", p.name, total, flagged[p.name], byCat)
	}
	check := func(name string, lo, hi float64) {
		if got := rate[name]; got < lo || got > hi {
			t.Errorf("%s recovered %.1f%%, want %.0f-%.0f%%", name, got, lo, hi)
		}
	}
	check(fixedWithEmails.name, 40, 55)
	check(threeRetries.name, 14, 26)
	check(aggressive.name, 8, 14)
	// Retrying too often gets cards blocked (cal:50: 25-30% block triggers) and recovers no more
	// than three spaced retries; spaced retries rarely trigger a block.
	for _, name := range []string{aggressive.name, daily.name} {
		if f := flagged[name]; f < 25 || f > 35 {
			t.Errorf("%s blocked %.1f%% of cards, want 25-35%%", name, f)
		}
	}
	if f := flagged[threeRetries.name]; f > 8 {
		t.Errorf("%s blocked %.1f%% of cards", threeRetries.name, f)
	}
	if rate[daily.name] > rate[threeRetries.name]+2 {
		t.Errorf("daily retries (%.1f%%) beat three retries (%.1f%%)", rate[daily.name], rate[threeRetries.name])
	}

	// Decline mix and recovery timing.
	r := simulate(t, n, 1, fixedWithEmails)
	cats := map[recoup.Category]int{}
	for _, f := range r.env.failures {
		cats[f.Category]++
	}
	for c, rg := range map[recoup.Category][2]float64{
		recoup.CategoryCustomerFix: {25, 35}, recoup.CategoryFunds: {20, 30}, recoup.CategoryIssuerSoft: {15, 25},
		recoup.CategoryHard: {10, 15}, recoup.CategoryTechnical: {5, 10},
	} {
		if pct := 100 * float64(cats[c]) / n; pct < rg[0] || pct > rg[1] {
			t.Errorf("%s is %.1f%% of failures, want %.0f-%.0f%%", c, pct, rg[0], rg[1])
		}
	}
	in, rec := 0, 0
	for _, f := range r.env.failures {
		if o := r.env.outcomes[f.InvoiceID]; o.Result == sim.Recovered {
			rec++
			if d := o.At.Sub(f.At); d >= 2*24*time.Hour && d <= 12*24*time.Hour {
				in++
			}
		}
	}
	if pct := 100 * float64(in) / float64(rec); pct < 50 {
		t.Errorf("%.0f%% of recoveries within 2-12 days, want most", pct)
	}
}
