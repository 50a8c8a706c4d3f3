package experiment

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A world of realistic-looking customers: 1 to 3 failed invoices (mean 1.4), each of a
// lognormal amount (median 30.00, σ 0.8 on the log scale), each recovered in full with the
// arm's probability, else not at all.
func customer(rng *rand.Rand, arm string, share, p float64, order int64) Unit {
	u := Unit{Arm: arm, Share: share, Order: order, Invoices: 1}
	if rng.Float64() < 0.3 {
		u.Invoices++
	}
	if rng.Float64() < 0.1 {
		u.Invoices++
	}
	for range u.Invoices {
		amount := int64(math.Exp(math.Log(3000) + 0.8*rng.NormFloat64()))
		u.Failed += amount
		u.Attempts++
		if rng.Float64() < p {
			u.Recovered += amount
			u.RecoveredInvoices++
			u.DaysToRecovery = append(u.DaysToRecovery, 14*rng.Float64())
		}
	}
	return u
}

// peeking is the outcome of one experiment looked at after every 1/180 of its customers
// (daily, over six months).
type peeking struct {
	fixedEnd      bool // the fixed-n interval at the end holds the truth
	fixedAllPeeks bool // the fixed-n interval holds it at every peek
	seqAllPeeks   bool // the sequential interval holds it at every peek
	armAllPeeks   bool // each arm's sequential interval holds the arm's recovery at every peek
	seqEnd        bool // the sequential interval excludes 0 at the end
	fixedEnd0     bool // the fixed-n interval excludes 0 at the end
	estimate      float64
	raw           float64 // the unweighted ΣR/ΣF difference
}

const peeks = 180

// experimentRun draws n customers, the treatment's share and recovery probabilities given by
// the functions of the customer's position, and checks the intervals against truth (pp).
func experimentRun(t *testing.T, seed uint64, n int, truth float64, assign func(i int, rng *rand.Rand) (arm string, share, p float64)) peeking {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 17))
	m, err := NewMonitor(Config{Control: "stripe", Treatment: "recoup"})
	if err != nil {
		t.Fatal(err)
	}
	out := peeking{fixedAllPeeks: true, seqAllPeeks: true, armAllPeeks: true}
	var rr, rf, cr, cf float64
	next := 1
	for i := range n {
		arm, share, p := assign(i, rng)
		u := customer(rng, arm, share, p, int64(i))
		if err := m.Add(u); err != nil {
			t.Fatal(err)
		}
		switch arm {
		case "recoup":
			rr, rf = rr+float64(u.Recovered), rf+float64(u.Failed)
		case "stripe":
			cr, cf = cr+float64(u.Recovered), cf+float64(u.Failed)
		}
		if i+1 < next*n/peeks {
			continue
		}
		next++
		up := m.Uplift()
		if !up.Ready {
			continue
		}
		if !up.Fixed.Contains(truth) {
			out.fixedAllPeeks = false
		}
		if !up.Sequential.Contains(truth) {
			out.seqAllPeeks = false
		}
		// In the 50/50 worlds the control recovers 50% of invoices, so of the amount too.
		if c := m.Arm("stripe"); c.Ready && !c.Sequential.Contains(50) {
			out.armAllPeeks = false
		}
		if i == n-1 {
			out.fixedEnd = up.Fixed.Contains(truth)
			out.seqEnd = !up.Sequential.Contains(0)
			out.fixedEnd0 = !up.Fixed.Contains(0)
			out.estimate = up.Value
			out.raw = 100 * (rr/rf - cr/cf)
		}
	}
	return out
}

type rates struct {
	fixedEnd, fixedPeeking, seqPeeking, armPeeking, seqExcludes0, fixedExcludes0, meanEstimate, meanRaw float64
}

func replicate(t *testing.T, reps, n int, truth float64, assign func(int, *rand.Rand) (string, float64, float64)) rates {
	t.Helper()
	var r rates
	for s := range reps {
		p := experimentRun(t, uint64(s+1), n, truth, assign)
		r.fixedEnd += b(p.fixedEnd)
		r.fixedPeeking += b(p.fixedAllPeeks)
		r.seqPeeking += b(p.seqAllPeeks)
		r.armPeeking += b(p.armAllPeeks)
		r.seqExcludes0 += b(p.seqEnd)
		r.fixedExcludes0 += b(p.fixedEnd0)
		r.meanEstimate += p.estimate
		r.meanRaw += p.raw
	}
	f := float64(reps)
	return rates{r.fixedEnd / f, r.fixedPeeking / f, r.seqPeeking / f, r.armPeeking / f, r.seqExcludes0 / f, r.fixedExcludes0 / f, r.meanEstimate / f, r.meanRaw / f}
}

func b(x bool) float64 {
	if x {
		return 1
	}
	return 0
}

func fiftyFifty(p, q float64) func(int, *rand.Rand) (string, float64, float64) {
	return func(_ int, rng *rand.Rand) (string, float64, float64) {
		if rng.Float64() < 0.5 {
			return "stripe", 0.5, p
		}
		return "recoup", 0.5, q
	}
}

// TestCoverageAA: two identical arms, 5,000 customers, 200 replications. The fixed-n interval
// looked at once holds 0 about 95% of the time; looked at daily (180 peeks, one exclusion is a
// false alarm) it fails far more often; the confidence sequence looked at daily still holds 0
// in at least 90% of the runs.
func TestCoverageAA(t *testing.T) {
	r := replicate(t, 200, 5000, 0, fiftyFifty(0.5, 0.5))
	t.Logf("A/A, 5,000 customers, 200 runs: fixed-n once covers %.1f%%; with daily peeking fixed-n covers %.1f%% (false alarms %.1f%%), sequential covers %.1f%% (false alarms %.1f%%); the control's own recovery interval holds 50%% at every peek in %.1f%%",
		100*r.fixedEnd, 100*r.fixedPeeking, 100*(1-r.fixedPeeking), 100*r.seqPeeking, 100*(1-r.seqPeeking), 100*r.armPeeking)
	if r.fixedEnd < 0.91 || r.fixedEnd > 0.99 {
		t.Errorf("fixed-n interval at the end covers 0 in %.1f%% of runs, want about 95%%", 100*r.fixedEnd)
	}
	if r.seqPeeking < 0.90 {
		t.Errorf("sequential interval with daily peeking covers 0 in %.1f%% of runs, want at least 90%%", 100*r.seqPeeking)
	}
	if r.armPeeking < 0.90 {
		t.Errorf("the control's recovery interval with daily peeking holds the truth in %.1f%% of runs, want at least 90%%", 100*r.armPeeking)
	}
	if 1-r.fixedPeeking < 0.20 {
		t.Errorf("fixed-n interval with daily peeking raised false alarms in only %.1f%% of runs; the contrast with the sequential interval is gone", 100*(1-r.fixedPeeking))
	}
}

// TestPower: a true uplift of +5 pp (50% against 55%). In this world (amounts spread σ 0.8 on
// the log scale, each invoice recovered in full or not at all) the sequential interval at
// 5,000 customers is about 1.5 times as wide as the fixed-n one, and detects +5 pp about half
// the time; at 20,000 customers nearly always. That is the price of looking every day.
func TestPower(t *testing.T) {
	for _, tc := range []struct {
		n, reps int
		least   float64
	}{{5000, 200, 0.4}, {20000, 100, 0.9}} {
		r := replicate(t, tc.reps, tc.n, 5, fiftyFifty(0.5, 0.55))
		t.Logf("+5 pp, %d customers, %d runs: at the end the sequential interval excludes 0 in %.1f%% (fixed-n %.1f%%); sequential covers the truth at every peek in %.1f%%; mean estimate %.2f pp",
			tc.n, tc.reps, 100*r.seqExcludes0, 100*r.fixedExcludes0, 100*r.seqPeeking, r.meanEstimate)
		if r.seqExcludes0 < tc.least {
			t.Errorf("%d customers: the sequential interval excludes 0 in %.1f%% of runs, want at least %.0f%%", tc.n, 100*r.seqExcludes0, 100*tc.least)
		}
		if r.seqPeeking < 0.90 {
			t.Errorf("%d customers: the sequential interval holds the truth at every peek in %.1f%% of runs, want at least 90%%", tc.n, 100*r.seqPeeking)
		}
	}
}

// TestAdaptiveShares: the treatment's share grows from 5% to 45% over the experiment (a
// third arm takes the rest, the control keeps 50%), while every arm's recovery drifts from
// 30% to 70%. The treatment is +3 pp at every moment, so the truth is +3 pp. Its customers
// come late, when recovery is high, so the plain ratio ΣR/ΣF is biased upward; weighting by
// 1/Share removes the bias, and the intervals keep their coverage.
func TestAdaptiveShares(t *testing.T) {
	const n, truth = 5000, 3.0
	assign := func(i int, rng *rand.Rand) (string, float64, float64) {
		f := float64(i) / n
		base := 0.3 + 0.4*f
		share := 0.05 + 0.4*f
		switch x := rng.Float64(); {
		case x < 0.5:
			return "stripe", 0.5, base
		case x < 0.5+share:
			return "recoup", share, base + truth/100
		default:
			return "other", 0.5 - share, base
		}
	}
	r := replicate(t, 200, n, truth, assign)
	t.Logf("adaptive shares, truth +3 pp, 200 runs: weighted mean estimate %.2f pp, unweighted %.2f pp; fixed-n once covers %.1f%%, sequential with daily peeking %.1f%%",
		r.meanEstimate, r.meanRaw, 100*r.fixedEnd, 100*r.seqPeeking)
	// The standard error of the mean of 200 estimates is about 0.2 pp here.
	if math.Abs(r.meanEstimate-truth) > 0.6 {
		t.Errorf("mean weighted estimate %.2f pp, want %.1f ± 0.6", r.meanEstimate, truth)
	}
	if r.meanRaw-truth < 3 {
		t.Errorf("the unweighted estimate is biased by only %.2f pp: the test no longer shows what weighting is for", r.meanRaw-truth)
	}
	if r.fixedEnd < 0.91 {
		t.Errorf("fixed-n interval at the end covers the truth in %.1f%%, want about 95%%", 100*r.fixedEnd)
	}
	if r.seqPeeking < 0.90 {
		t.Errorf("sequential interval with daily peeking covers the truth in %.1f%%, want at least 90%%", 100*r.seqPeeking)
	}
}
