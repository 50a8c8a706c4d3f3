package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/experiment"
	"github.com/recoup-hq/recoup/policy"
)

// Under optimize with a fixed arm, the adapting arms are pooled into one arm whose share is
// 1 minus the fixed shares (the control's and the fixed arm's) and compared with the fixed arm
// by the experiment package, the control's customers left out: the block is that report.
func TestMeasureOptimizedPoolsTheAdaptingArms(t *testing.T) {
	p, err := policy.Parse("t.yaml", []byte(`experiment:
  name: opt
  unit: customer
  optimize: {floor: 5}
  arms:
    - {name: stripe, stripe: true, weight: 1}
    - {name: base, weight: 1, fixed: true}
    - {name: a, weight: 1}
    - {name: b, weight: 1, campaign: {hour: 18}}
`))
	if err != nil {
		t.Fatal(err)
	}
	x := p.Experiment
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	var units []shardUnit
	var want []experiment.Unit
	counts := map[string]int{}
	for i := range 2000 {
		// The adapting arms' shares drift from 25/25 to 45/5 (of all customers); the control
		// and base keep 25% each.
		f := float64(i) / 2000
		shares := map[string]float64{"stripe": 0.25, "base": 0.25, "a": 0.25 + 0.2*f, "b": 0.25 - 0.2*f}
		u := rng.Float64()
		arm := "stripe"
		switch {
		case u < 0.25:
		case u < 0.5:
			arm = "base"
		case u < 0.75+0.2*f:
			arm = "a"
		default:
			arm = "b"
		}
		p := map[string]float64{"stripe": 0.4, "base": 0.5, "a": 0.6, "b": 0.3}[arm]
		amount := int64(1000 + rng.IntN(5000))
		eu := experiment.Unit{Arm: arm, Share: shares[arm], Order: int64(i), Invoices: 1, Failed: amount}
		if rng.Float64() < p {
			eu.Recovered, eu.RecoveredInvoices = amount, 1
		}
		units = append(units, shardUnit{Unit: eu, at: start.Add(time.Duration(i) * time.Hour)})
		counts[arm]++
		switch arm {
		case "a", "b":
			eu.Arm, eu.Share = pooledArm, 0.5
		case "stripe":
			continue
		}
		want = append(want, eu)
	}
	got, err := measureOptimized(x, units, start)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := experiment.Compute(want, experiment.Config{Control: "base", Treatment: pooledArm})
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 0.0005+1e-9 }
	up := rep.Uplift
	if got == nil || got.Baseline != "base" || len(got.Arms) != 2 || got.Arms[0] != "a" || got.Arms[1] != "b" || got.Share != 0.5 {
		t.Fatalf("block %+v", got)
	}
	if got.ArmCustomers[0] != counts["a"] || got.ArmCustomers[1] != counts["b"] ||
		got.Customers != counts["a"]+counts["b"] || got.BaselineCustomers != counts["base"] {
		t.Errorf("customers: %+v, counts %v", got, counts)
	}
	if !near(got.UpliftPP, up.Value) || got.UpliftCILow == nil || !near(*got.UpliftCILow, up.Sequential.Low) ||
		!near(*got.UpliftCIHigh, up.Sequential.High) || !near(*got.UpliftFixedCILow, up.Fixed.Low) || got.Verdict != string(up.Verdict) {
		t.Errorf("uplift %+v, want %+v", got, up)
	}
	// The pool weighs its customers alike (its share never changed): its recovery is ΣR/ΣF.
	var r, f int64
	for _, u := range want {
		if u.Arm == pooledArm {
			r, f = r+u.Recovered, f+u.Failed
		}
	}
	if !near(got.RecoveredAmountPct, 100*float64(r)/float64(f)) {
		t.Errorf("pool recovered %v%%, want %v%%", got.RecoveredAmountPct, 100*float64(r)/float64(f))
	}

	// Without a fixed arm, or without optimize, there is no block.
	for _, src := range []string{
		"experiment:\n  name: o\n  unit: customer\n  optimize: {}\n  arms:\n    - {name: a, weight: 1}\n    - {name: b, weight: 1}\n",
		"experiment:\n  name: o\n  unit: customer\n  arms:\n    - {name: a, weight: 1}\n    - {name: b, weight: 1}\n",
	} {
		q, err := policy.Parse("t.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := measureOptimized(q.Experiment, units, start); got != nil || err != nil {
			t.Errorf("%s: block %+v, %v; want none", src, got, err)
		}
	}
}
