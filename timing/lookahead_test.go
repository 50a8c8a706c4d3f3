package timing

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// The pair rule itself: a charge now is worth its value less its cost, plus, if it fails, the
// best value at least Gap later less its cost. An early time likely enough goes first; one
// whose chance hardly exceeds the cost does not.
func TestLookaheadWeighsTheChargeThatCanFollow(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixNano()
	day := int64(24 * time.Hour)
	late := known(t0+10*day, 0.4, 0.3)
	o := Options{MinProbability: 0.05, Gap: 24 * time.Hour}
	for _, tc := range []struct {
		early worthy
		want  int64
	}{
		{known(t0, 0.2, 0.2), t0},        // 0.15 + 0.8·0.25 = 0.35 against 0.25
		{known(t0, 0.06, 0.06), late.ns}, // 0.01 + 0.94·0.25 = 0.245 against 0.25
	} {
		ws := []worthy{tc.early, late}
		i, top := lookahead(ws, o, new(scratch))
		if ws[i].ns != tc.want || top.ns != late.ns {
			t.Errorf("early p=%.2f: chose %d (likeliest %d), want %d", tc.early.p, ws[i].ns, top.ns, tc.want)
		}
	}
	// A time less than Gap before the likeliest cannot be followed by it.
	near := known(late.ns-int64(time.Hour), 0.2, 0.2)
	if ws := []worthy{near, late}; ws[chosenIndex(lookahead(ws, o, new(scratch)))].ns != late.ns {
		t.Errorf("a time an hour before the likeliest: chose it, want the likeliest")
	}
}

// known is a candidate whose p and u are given.
func known(ns int64, p, u float64) worthy { return worthy{ns: ns, p: p, u: u, known: true} }

// lookaheadOfEvery is lookahead as it reads when every candidate is worked out: the reference
// its bounds must agree with.
func lookaheadOfEvery(ws []worthy, o Options) (int, worthy) {
	c := o.MinProbability
	for i := range ws {
		ws[i].exact()
	}
	suffix := make([]float64, len(ws)+1)
	for i := len(ws) - 1; i >= 0; i-- {
		suffix[i] = max(suffix[i+1], ws[i].u)
	}
	gap := max(int64(o.Gap), 1)
	bi, bw, top, j := 0, math.Inf(-1), ws[0], 0
	for i, w := range ws {
		for j < len(ws) && ws[j].ns-w.ns < gap {
			j++
		}
		if v := w.u - c + (1-w.p)*max(0, suffix[j]-c); v > bw {
			bi, bw = i, v
		}
		if w.u > top.u {
			top = w
		}
	}
	return bi, top
}

// The lookahead that works out only the candidates its bounds cannot settle chooses exactly as
// working out every one does: the same index and likeliest candidate, ties (the first of
// equals) and scores beyond the table of phi included.
func TestLookaheadMatchesWorkingOutEveryCandidate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	scr := new(scratch)
	worked := 0
	total := 0
	for round := range 4000 {
		n := 1 + r.IntN(700)
		ws := make([]worthy, n)
		ns := int64(0)
		zs := []float64{-12, -1.6449, -1, -0.5, 0, 0.3, 11}
		for i := range ws {
			ns += int64(time.Hour) * int64(1+r.IntN(3))
			z := r.NormFloat64()*0.6 - 1
			switch r.IntN(10) {
			case 0:
				z = zs[r.IntN(len(zs))] // repeated scores: ties
			case 1:
				z = r.NormFloat64() * 8
			}
			d := math.Pow(0.97, float64(ns)/float64(24*time.Hour))
			keep := 1.0
			if round%3 == 0 && i < 20 {
				keep = []float64{0.6, 0.8, 0.93, 1}[r.IntN(4)]
			}
			ws[i] = worthy{ns: ns, z: z, d: d, keep: keep}
			if r.IntN(50) == 0 {
				ws[i] = known(ns, 0.3, 0.25)
			}
		}
		o := Options{MinProbability: []float64{0.05, 0.02, 0.2}[round%3], Gap: time.Duration(1+r.IntN(48)) * time.Hour}
		ref := slices.Clone(ws)
		wi, wtop := lookaheadOfEvery(ref, o)
		gi, gtop := lookahead(ws, o, scr)
		if gi != wi || gtop != wtop {
			t.Fatalf("round %d (%d candidates): chose %d, likeliest %+v; working out every one: %d, %+v", round, n, gi, gtop, wi, wtop)
		}
		for _, w := range ws {
			if w.known {
				worked++
			}
		}
		total += n
	}
	t.Logf("worked out %d of %d candidates (%.1f%%)", worked, total, 100*float64(worked)/float64(total))
}

// chosenIndex is the index lookahead chose.
func chosenIndex(i int, _ worthy) int { return i }

// A generic decline whose retries pass on Fridays (40%) and less on other days (15%), in a
// window that ends on the first Friday: with one charge left the case waits for Friday; with
// six, and the lookahead, it charges before (a weekday retry is well worth its cost, and Friday
// is still reached if it fails), and the reason says what it went ahead of. Without the
// lookahead it waited for Friday whatever the budget (5 of 40 retries before it).
func TestLookaheadChargesBeforeTheLikeliestTimeWhileTheBudgetLasts(t *testing.T) {
	m := NewModel()
	c := Case{Category: recoup.CategoryIssuerSoft, Code: "do_not_honor", Loc: time.UTC,
		FirstFailed: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} // a Monday
	rng := rand.New(rand.NewPCG(1, 2))
	for range 6000 {
		at := c.FirstFailed.Add(time.Duration(24+rng.IntN(40*24)) * time.Hour)
		p := 0.15
		if at.Weekday() == time.Friday {
			p = 0.4
		}
		m.Update(Features(c, at), rng.Float64() < p)
	}
	c.LastAttempt = c.FirstFailed
	o := Options{From: c.FirstFailed.Add(24 * time.Hour), Until: time.Date(2026, 3, 6, 21, 0, 0, 0, time.UTC), Budget: 6,
		DailyDiscount: 0.97, MinProbability: 0.05, FirstHour: 6, LastHour: 21, Gap: 24 * time.Hour}
	before := func(remaining int, ahead bool) (n int, reason string) {
		q := o
		q.Remaining, q.Lookahead = remaining, ahead
		for seed := range uint64(40) {
			ch := Choose(m, rand.New(rand.NewPCG(seed, 5)), c, q)
			if ch.Retry && ch.At.Weekday() != time.Friday {
				n++
				reason = ch.Reason
			}
		}
		return n, reason
	}
	if n, r := before(6, true); n < 30 || !strings.Contains(r, "before the likeliest time (Fri 6 Mar") || !strings.Contains(r, "5 charges left reach it if this one fails") {
		t.Errorf("six charges left, lookahead: %d of 40 retries before a Friday, want 30 or more, saying why (%q)", n, r)
	}
	for _, tc := range []struct {
		remaining int
		ahead     bool
	}{{1, true}, {6, false}} {
		if n, r := before(tc.remaining, tc.ahead); n > 10 {
			t.Errorf("%d charges left, lookahead %v: %d of 40 retries before a Friday, want 10 or fewer (%q)", tc.remaining, tc.ahead, n, r)
		}
	}
}

// A candidate's discount from the table of whole hours is the daily discount to the power of
// its wait in days, to within rounding, for waits on and off the hour, past the table and
// negative.
func TestDiscountIsDailyToTheWaitInDays(t *testing.T) {
	for _, daily := range []float64{0.97, 0.5, 1, 0.999} {
		d := newDiscount(daily)
		for _, wait := range []time.Duration{0, time.Nanosecond, 59 * time.Minute, time.Hour, 25*time.Hour + 17*time.Minute + 3*time.Second,
			45 * 24 * time.Hour, 45*24*time.Hour + 30*time.Minute, 200 * 24 * time.Hour, -3 * time.Hour} {
			want := math.Pow(daily, wait.Hours()/24)
			if got := d.at(int64(wait)); math.Abs(got-want) > 1e-12*want {
				t.Errorf("daily %v, wait %s: %v, want %v", daily, wait, got, want)
			}
		}
	}
}
