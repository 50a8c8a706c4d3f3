package sim

import (
	"math"
	"slices"
	"testing"
)

// t975df1 is the Student t quantile t(0.975, 1); t(0.975, 2) = 4.302653 is written out below.
const t975df1 = 12.706205

func TestStatsEstimate(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want Estimate
	}{
		{"no values", nil, Estimate{}},
		{"one value is its own interval", []float64{42.5}, Estimate{Mean: 42.5, Low: 42.5, High: 42.5, N: 1}},
		// mean 11, s = √2, s/√2 = 1: 11 ± 12.706205.
		{"two values", []float64{10, 12}, Estimate{Mean: 11, Low: 11 - t975df1, High: 11 + t975df1, N: 2}},
		// mean 2, s = 1, s/√3 = 0.57735: 2 ± 4.302653 × 0.577350 = 2 ± 2.484138.
		{"three values", []float64{1, 2, 3}, Estimate{Mean: 2, Low: 2 - 2.484138, High: 2 + 2.484138, N: 3}},
		{"no spread", []float64{7, 7, 7}, Estimate{Mean: 7, Low: 7, High: 7, N: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertEstimate(t, "estimate", estimate(tt.xs), tt.want)
		})
	}
}

func TestAggregate(t *testing.T) {
	run := func(policy string, seed uint64, amountPct float64, violations int) Summary {
		return Summary{Policy: policy, Seed: seed, RecoveredAmountPct: amountPct, NetworkViolations: violations,
			RatioToOracle: amountPct / 100}
	}
	// Interleaved as a runner running seeds in parallel might produce them.
	runs := []Summary{
		run("fixed", 1, 40, 0), run("smart", 1, 42, 1), run("fixed", 2, 50, 0),
		run("smart", 2, 53, 3), run("fixed", 3, 60, 0), run("smart", 3, 61, 2), run("once", 9, 30, 5),
	}
	got := Aggregate(runs)
	if names := aggregatePolicies(got); !slices.Equal(names, []string{"fixed", "smart", "once"}) {
		t.Fatalf("policies = %v, want first-seen order [fixed smart once]", names)
	}
	if !slices.Equal(got[1].Seeds, []uint64{1, 2, 3}) {
		t.Errorf("smart seeds = %v, want [1 2 3]", got[1].Seeds)
	}
	// fixed: 40, 50, 60: mean 50, s = 10, half = 4.302653 × 10/√3 = 24.841377.
	assertEstimate(t, "fixed recovered_amount_pct", got[0].RecoveredAmountPct, Estimate{Mean: 50, Low: 50 - 24.841377, High: 50 + 24.841377, N: 3})
	assertEstimate(t, "fixed ratio_to_oracle", got[0].RatioToOracle, Estimate{Mean: 0.5, Low: 0.5 - 0.248414, High: 0.5 + 0.248414, N: 3})
	assertEstimate(t, "fixed network_violations", got[0].NetworkViolations, Estimate{N: 3})
	// smart violations: 1, 3, 2: mean 2, s = 1, half = 2.484138.
	assertEstimate(t, "smart network_violations", got[1].NetworkViolations, Estimate{Mean: 2, Low: 2 - 2.484138, High: 2 + 2.484138, N: 3})
	assertEstimate(t, "once recovered_amount_pct", got[2].RecoveredAmountPct, Estimate{Mean: 30, Low: 30, High: 30, N: 1})

	if got := Aggregate(nil); got != nil {
		t.Errorf("Aggregate(nil) = %v, want nil", got)
	}
}

func TestCompare(t *testing.T) {
	run := func(policy string, seed uint64, amountPct, countPct, perRecovery, amount float64) Summary {
		return Summary{Policy: policy, Seed: seed, RecoveredAmountPct: amountPct, RecoveredCountPct: countPct,
			AttemptsPerRecovery: perRecovery, RecoveredAmount: amount}
	}

	t.Run("paired by seed", func(t *testing.T) {
		runs := []Summary{
			run("base", 1, 40, 30, 2.0, 100), run("base", 2, 50, 35, 2.5, 200), run("base", 3, 60, 40, 3.0, 400),
			// Seed 4 has no baseline: left out. Runs in another order than the baseline's.
			run("smart", 3, 61, 44, 2.0, 420), run("smart", 4, 99, 99, 9, 999),
			run("smart", 1, 42, 33, 1.5, 110), run("smart", 2, 53, 35, 2.5, 220),
		}
		got := Compare(runs, "base")
		if len(got) != 1 || got[0].Policy != "smart" || got[0].Baseline != "base" {
			t.Fatalf("Compare = %+v, want one difference, smart against base", got)
		}
		d := got[0]
		if !slices.Equal(d.Seeds, []uint64{3, 1, 2}) {
			t.Errorf("seeds = %v, want [3 1 2]", d.Seeds)
		}
		// Amount: 1, 2, 3 → 2 ± 2.484138.
		assertEstimate(t, "recovered_amount_pct", d.RecoveredAmountPct, Estimate{Mean: 2, Low: 2 - 2.484138, High: 2 + 2.484138, N: 3})
		// Count: 4, 3, 0 → mean 7/3, s² = ((5/3)² + (2/3)² + (7/3)²)/2 = 13/3, half = 4.302653 × √(13/9) = 5.171145.
		assertEstimate(t, "recovered_count_pct", d.RecoveredCountPct, Estimate{Mean: 7.0 / 3, Low: 7.0/3 - 5.171145, High: 7.0/3 + 5.171145, N: 3})
		// Attempts per recovery: -1, -0.5, 0 → -0.5 ± 4.302653 × 0.5/√3 = -0.5 ± 1.242069.
		assertEstimate(t, "attempts_per_recovery", d.AttemptsPerRecovery, Estimate{Mean: -0.5, Low: -0.5 - 1.242069, High: -0.5 + 1.242069, N: 3})
		// Ratio: 1.05, 1.1, 1.1 → mean 1.083333, s = 0.028868, half = 4.302653 × 0.016667 = 0.071711.
		assertEstimate(t, "recovered_amount_ratio", d.RecoveredAmountRatio, Estimate{Mean: 1.083333, Low: 1.083333 - 0.071711, High: 1.083333 + 0.071711, N: 3})
	})

	t.Run("baseline recovered nothing on a seed", func(t *testing.T) {
		runs := []Summary{
			run("base", 1, 0, 0, 0, 0), run("base", 2, 10, 10, 1, 100),
			run("p", 1, 5, 5, 1, 50), run("p", 2, 20, 20, 1, 200),
		}
		d := Compare(runs, "base")[0]
		assertEstimate(t, "recovered_amount_ratio", d.RecoveredAmountRatio, Estimate{Mean: 2, Low: 2, High: 2, N: 1})
		assertEstimate(t, "recovered_amount_pct", d.RecoveredAmountPct, Estimate{Mean: 7.5, Low: 7.5 - t975df1*2.5, High: 7.5 + t975df1*2.5, N: 2})
	})

	t.Run("no seed in common", func(t *testing.T) {
		d := Compare([]Summary{run("base", 1, 1, 1, 1, 1), run("p", 2, 1, 1, 1, 1)}, "base")
		if len(d) != 1 || len(d[0].Seeds) != 0 || d[0].RecoveredAmountPct.N != 0 {
			t.Errorf("Compare = %+v, want one difference over no seeds", d)
		}
	})

	t.Run("unknown baseline", func(t *testing.T) {
		if d := Compare([]Summary{run("p", 1, 1, 1, 1, 1)}, "base"); d != nil {
			t.Errorf("Compare = %+v, want nil", d)
		}
	})

	t.Run("policies in first-seen order", func(t *testing.T) {
		runs := []Summary{run("z", 1, 1, 1, 1, 1), run("base", 1, 1, 1, 1, 1), run("a", 1, 1, 1, 1, 1)}
		var got []string
		for _, d := range Compare(runs, "base") {
			got = append(got, d.Policy)
		}
		if !slices.Equal(got, []string{"z", "a"}) {
			t.Errorf("policies = %v, want [z a]", got)
		}
	})
}

func aggregatePolicies(aggs []PolicyAggregate) []string {
	var names []string
	for _, a := range aggs {
		names = append(names, a.Policy)
	}
	return names
}

// assertEstimate compares to the six decimals of the hand computations.
func assertEstimate(t *testing.T, what string, got, want Estimate) {
	t.Helper()
	const tol = 2e-6
	if got.N != want.N || math.Abs(got.Mean-want.Mean) > tol || math.Abs(got.Low-want.Low) > tol || math.Abs(got.High-want.High) > tol {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}
