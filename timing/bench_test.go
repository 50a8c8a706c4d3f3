package timing

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// BenchmarkChoose is one retry decision over a 30-day window of business hours, on a model that
// has learned from 5,000 outcomes: for a card short of funds (its days described by the belief
// over paydays) and for an issuer's soft decline (by the days of the month and week since the
// last charge, up to 58 features a day).
func BenchmarkChoose(b *testing.B) { benchmarkChoose(b, false) }

// BenchmarkChooseLookahead is the same decisions with Options.Lookahead: every candidate worth a
// charge is scored (no pruning by the best so far) and the pairs are weighed after.
func BenchmarkChooseLookahead(b *testing.B) { benchmarkChoose(b, true) }

func benchmarkChoose(b *testing.B, ahead bool) {
	loc, _ := time.LoadLocation("America/Chicago")
	for _, cat := range []recoup.Category{recoup.CategoryFunds, recoup.CategoryIssuerSoft} {
		b.Run(string(cat), func(b *testing.B) {
			m := NewModel()
			rng := rand.New(rand.NewPCG(1, 2))
			c := Case{Category: cat, Code: "insufficient_funds", Brand: "visa", Funding: "debit", Amount: 2900, Currency: "usd",
				FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, loc), LastAttempt: time.Date(2026, 3, 2, 9, 0, 0, 0, loc), Loc: loc, Cal: CalendarFor("US")}
			for i := range 5000 {
				m.Update(Features(c, c.FirstFailed.Add(time.Duration(i)*time.Hour)), rng.Float64() < 0.2)
			}
			o := Options{From: c.FirstFailed.Add(24 * time.Hour), Until: c.FirstFailed.Add(30 * 24 * time.Hour), Remaining: 5, Budget: 6,
				DailyDiscount: 0.97, MinProbability: 0.05, FirstHour: 6, LastHour: 21, Lookahead: ahead, Gap: 24 * time.Hour}
			b.ReportAllocs()
			for b.Loop() {
				Choose(m, rng, c, o)
			}
		})
	}
}
