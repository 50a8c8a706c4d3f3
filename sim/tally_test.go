package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// A month's recovered share comes with its standard error: four invoices of 100, two paid,
// recover 50% ± 28.87 points (sqrt(4/3 · 4 · 50²) / 400); shards merged give what one tally of
// all the invoices gives, computed here directly from its definition.
func TestMonthlyRecoveredAmountStandardError(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run := func(tallies []*tally, invoices [][2]int64) {
		t.Helper()
		for i, inv := range invoices {
			tl := tallies[i%len(tallies)]
			id := fmt.Sprintf("in_%d", i)
			at := start.Add(time.Duration(i) * time.Hour)
			if err := tl.failed(Failure{InvoiceID: id, Amount: recoup.Money{Amount: inv[0], Currency: "usd"}, Category: recoup.CategoryFunds, At: at}); err != nil {
				t.Fatal(err)
			}
			o := Outcome{InvoiceID: id, Result: Unrecovered, At: at.Add(time.Hour)}
			if inv[1] > 0 {
				o.Result, o.By, o.Amount = Recovered, ByRetry, inv[1]
			}
			if err := tl.resolved(o); err != nil {
				t.Fatal(err)
			}
		}
	}
	month := func(tl *tally) MonthStat {
		t.Helper()
		s, err := tl.summary()
		if err != nil {
			t.Fatal(err)
		}
		return s.Monthly[0]
	}

	one := newTally(start, 2, 60*24*time.Hour)
	run([]*tally{one}, [][2]int64{{100, 100}, {100, 0}, {100, 100}, {100, 0}})
	if m := month(one); m.RecoveredAmountPct != 50 || m.RecoveredAmountSE != 28.87 {
		t.Errorf("four invoices of 100, two paid: %.2f%% ± %.2f, want 50%% ± 28.87", m.RecoveredAmountPct, m.RecoveredAmountSE)
	}

	// Many small invoices and a few large ones, some paid in part, split over three shards.
	rng := rand.New(rand.NewPCG(1, 2))
	var invoices [][2]int64
	for range 300 {
		a := int64(900 + rng.IntN(4000))
		if rng.IntN(20) == 0 {
			a = 100000 + int64(rng.IntN(500000))
		}
		var y int64
		switch rng.IntN(3) {
		case 0:
			y = a
		case 1:
			y = a / 2
		}
		invoices = append(invoices, [2]int64{a, y})
	}
	shards := []*tally{newTally(start, 2, 60*24*time.Hour), newTally(start, 2, 60*24*time.Hour), newTally(start, 2, 60*24*time.Hour)}
	run(shards, invoices)
	for _, o := range shards[1:] {
		if err := shards[0].merge(o); err != nil {
			t.Fatal(err)
		}
	}
	var sa, sy float64
	for _, inv := range invoices {
		sa, sy = sa+float64(inv[0]), sy+float64(inv[1])
	}
	r, ss := sy/sa, 0.0
	for _, inv := range invoices {
		d := float64(inv[1]) - r*float64(inv[0])
		ss += d * d
	}
	n := float64(len(invoices))
	want := math.Round(10000*math.Sqrt(ss*n/(n-1))/sa) / 100
	if m := month(shards[0]); m.RecoveredAmountSE != want || want < 2 {
		t.Errorf("300 invoices over three shards: ± %.2f, want ± %.2f", m.RecoveredAmountSE, want)
	}
}
