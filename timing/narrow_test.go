package timing

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// Options.Narrow draws each weight that much closer to its mean: 0 is Thompson sampling, 1 the
// means themselves.
func TestNarrowDrawsCloserToTheMean(t *testing.T) {
	m := NewModel()
	f := "issuer_soft|hour:9"
	w := m.Weight(f)
	if w.Var <= 0 {
		t.Fatalf("an unseen feature has no variance: %+v", w)
	}
	spread := func(narrow float64) float64 {
		s := m.Sampler(rand.New(rand.NewPCG(1, 2))).narrowed(narrow)
		var sum float64
		const n = 20000
		for range n {
			d := s.draw(f).draw - w.Mean
			sum += d * d
		}
		return math.Sqrt(sum / n)
	}
	full, half, none := spread(0), spread(0.5), spread(1)
	if sd := math.Sqrt(w.Var); math.Abs(full-sd) > 0.03*sd {
		t.Errorf("Narrow 0 draws with standard deviation %.4f, want the posterior's %.4f", full, sd)
	}
	if math.Abs(half-full/2) > 1e-9*full {
		t.Errorf("Narrow 0.5 draws with standard deviation %.4f, want half of %.4f", half, full)
	}
	if none != 0 {
		t.Errorf("Narrow 1 draws %.4f away from the mean, want the mean", none)
	}
}

// With Narrow 1 a decision no longer depends on the draw: every seed picks the same time, the
// likeliest by the model's means. Thompson sampling's picks vary with the seed.
func TestChooseWithNarrowOneTakesTheMeans(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := Case{Category: recoup.CategoryIssuerSoft, Code: "do_not_honor", Brand: "visa", Funding: "credit", Amount: 2900, Currency: "usd",
		FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, ny), Loc: ny, Cal: CalendarFor("US")}
	m := NewModel()
	o := Options{From: c.FirstFailed.Add(24 * time.Hour), Until: c.FirstFailed.Add(20 * 24 * time.Hour),
		Remaining: 3, Budget: 4, DailyDiscount: 0.97, MinProbability: 0.01, FirstHour: 6, LastHour: 21}
	picks := func(narrow float64) map[time.Time]int {
		o := o
		o.Narrow = narrow
		out := map[time.Time]int{}
		for seed := range uint64(40) {
			ch := Choose(m, rand.New(rand.NewPCG(seed, 3)), c, o)
			if !ch.Retry {
				t.Fatalf("narrow %v, seed %d: no retry: %s", narrow, seed, ch.Reason)
			}
			out[ch.At]++
		}
		return out
	}
	if got := picks(1); len(got) != 1 {
		t.Errorf("with Narrow 1, 40 seeds picked %d different times, want one: %v", len(got), got)
	}
	if got := picks(0); len(got) < 5 {
		t.Errorf("with Thompson sampling, 40 seeds picked only %d different times: %v", len(got), got)
	}
}
