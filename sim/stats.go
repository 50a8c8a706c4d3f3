package sim

import "math"

// Estimate is a mean over seeds with its 95% confidence interval: mean ± t(0.975, N-1)·s/√N,
// Student's t with N-1 degrees of freedom. With one seed there is no spread to measure, so the
// interval is the value itself (Low = High = Mean); with none, every field is zero.
type Estimate struct {
	Mean float64 `json:"mean"`
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	N    int     `json:"n"`
}

// estimate returns the mean of xs and its 95% Student-t confidence interval.
func estimate(xs []float64) Estimate {
	n := len(xs)
	if n == 0 {
		return Estimate{}
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(n)
	if n == 1 {
		return Estimate{Mean: mean, Low: mean, High: mean, N: 1}
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(n-1))
	t := studentTQuantile(0.975, float64(n-1))
	half := t * sd / math.Sqrt(float64(n))
	return Estimate{Mean: mean, Low: mean - half, High: mean + half, N: n}
}

// PolicyAggregate is one policy's results over the seeds it ran.
type PolicyAggregate struct {
	Policy string   `json:"policy"`
	Seeds  []uint64 `json:"seeds"` // in the order of the runs

	RecoveredCountPct        Estimate `json:"recovered_count_pct"`
	RecoveredAmountPct       Estimate `json:"recovered_amount_pct"`
	RecoveredAmount          Estimate `json:"recovered_amount"`
	Attempts                 Estimate `json:"attempts"`
	AttemptsPerRecovery      Estimate `json:"attempts_per_recovery"`
	RetrySuccessRate         Estimate `json:"retry_success_rate"`
	MessagesSent             Estimate `json:"messages_sent"`
	MessagesPerRecovery      Estimate `json:"messages_per_recovery"`
	MedianDaysToRecovery     Estimate `json:"median_days_to_recovery"`
	P90DaysToRecovery        Estimate `json:"p90_days_to_recovery"`
	NetworkViolations        Estimate `json:"network_violations"`
	NetworkFees              Estimate `json:"network_fees"`
	CustomersLostToMessaging Estimate `json:"customers_lost_to_messaging"`
	OracleRecoveredAmountPct Estimate `json:"oracle_recovered_amount_pct"`
	RatioToOracle            Estimate `json:"ratio_to_oracle"`
	RatioToOracleRetry       Estimate `json:"ratio_to_oracle_retry"`
	// Experiment sums the runs' experiment blocks (absent when the policy has none).
	Experiment *ExperimentAggregate `json:"experiment,omitempty"`
}

// Aggregate groups runs by policy, in the order each policy first appears, and estimates each
// metric's mean over the policy's seeds. The runs should come from one world, each policy
// running each seed at most once.
func Aggregate(runs []Summary) []PolicyAggregate {
	var out []PolicyAggregate
	for _, g := range byPolicy(runs) {
		est := func(f func(Summary) float64) Estimate {
			xs := make([]float64, len(g))
			for i, r := range g {
				xs[i] = f(r)
			}
			return estimate(xs)
		}
		a := PolicyAggregate{Policy: g[0].Policy, Seeds: make([]uint64, len(g))}
		for i, r := range g {
			a.Seeds[i] = r.Seed
		}
		a.RecoveredCountPct = est(func(s Summary) float64 { return s.RecoveredCountPct })
		a.RecoveredAmountPct = est(func(s Summary) float64 { return s.RecoveredAmountPct })
		a.RecoveredAmount = est(func(s Summary) float64 { return s.RecoveredAmount })
		a.Attempts = est(func(s Summary) float64 { return float64(s.Attempts) })
		a.AttemptsPerRecovery = est(func(s Summary) float64 { return s.AttemptsPerRecovery })
		a.RetrySuccessRate = est(func(s Summary) float64 { return s.RetrySuccessRate })
		a.MessagesSent = est(func(s Summary) float64 { return float64(s.MessagesSent) })
		a.MessagesPerRecovery = est(func(s Summary) float64 { return s.MessagesPerRecovery })
		a.MedianDaysToRecovery = est(func(s Summary) float64 { return s.MedianDaysToRecovery })
		a.P90DaysToRecovery = est(func(s Summary) float64 { return s.P90DaysToRecovery })
		a.NetworkViolations = est(func(s Summary) float64 { return float64(s.NetworkViolations) })
		a.NetworkFees = est(func(s Summary) float64 { return s.NetworkFees })
		a.CustomersLostToMessaging = est(func(s Summary) float64 { return float64(s.CustomersLostToMessaging) })
		a.OracleRecoveredAmountPct = est(func(s Summary) float64 { return s.OracleRecoveredAmountPct })
		a.RatioToOracle = est(func(s Summary) float64 { return s.RatioToOracle })
		a.RatioToOracleRetry = est(func(s Summary) float64 { return s.RatioToOracleRetry })
		a.Experiment = aggregateExperiment(g)
		out = append(out, a)
	}
	return out
}

// Difference is one policy against the baseline, paired by seed: each seed's world is the same
// for both, so the per-seed differences cancel the world's own variation and the interval is
// much narrower than the two policies' separate intervals suggest.
type Difference struct {
	Policy   string   `json:"policy"`
	Baseline string   `json:"baseline"`
	Seeds    []uint64 `json:"seeds"` // the seeds both ran, in the policy's order

	// Policy minus baseline: percentage points, and attempts per recovered invoice.
	RecoveredAmountPct  Estimate `json:"recovered_amount_pct"`
	RecoveredCountPct   Estimate `json:"recovered_count_pct"`
	AttemptsPerRecovery Estimate `json:"attempts_per_recovery"`
	// RecoveredAmountRatio is the mean over seeds of policy/baseline recovered amount. Seeds on
	// which the baseline recovered nothing have no ratio and are left out of it (its N says how
	// many seeds it covers).
	RecoveredAmountRatio Estimate `json:"recovered_amount_ratio"`
}

// Compare pairs each policy other than baseline with the baseline on the seeds both ran, in the
// order the policies first appear. It returns nil if no run is of the baseline. When a policy
// ran a seed more than once, its first run counts.
func Compare(runs []Summary, baseline string) []Difference {
	base := map[uint64]Summary{}
	for _, r := range runs {
		if _, dup := base[r.Seed]; r.Policy == baseline && !dup {
			base[r.Seed] = r
		}
	}
	if len(base) == 0 {
		return nil
	}
	var out []Difference
	for _, g := range byPolicy(runs) {
		if g[0].Policy == baseline {
			continue
		}
		d := Difference{Policy: g[0].Policy, Baseline: baseline, Seeds: []uint64{}}
		var amount, count, attempts, ratio []float64
		seen := map[uint64]bool{}
		for _, r := range g {
			b, ok := base[r.Seed]
			if !ok || seen[r.Seed] {
				continue
			}
			seen[r.Seed] = true
			d.Seeds = append(d.Seeds, r.Seed)
			amount = append(amount, r.RecoveredAmountPct-b.RecoveredAmountPct)
			count = append(count, r.RecoveredCountPct-b.RecoveredCountPct)
			attempts = append(attempts, r.AttemptsPerRecovery-b.AttemptsPerRecovery)
			if b.RecoveredAmount > 0 {
				ratio = append(ratio, r.RecoveredAmount/b.RecoveredAmount)
			}
		}
		d.RecoveredAmountPct = estimate(amount)
		d.RecoveredCountPct = estimate(count)
		d.AttemptsPerRecovery = estimate(attempts)
		d.RecoveredAmountRatio = estimate(ratio)
		out = append(out, d)
	}
	return out
}

// byPolicy groups runs by policy, keeping the order in which policies and runs appear.
func byPolicy(runs []Summary) [][]Summary {
	index := map[string]int{}
	var groups [][]Summary
	for _, r := range runs {
		i, ok := index[r.Policy]
		if !ok {
			i = len(groups)
			index[r.Policy] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups
}
