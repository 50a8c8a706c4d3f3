package sim_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/experiment"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
	_ "github.com/recoup-hq/recoup/sim/worlds" // the realistic world
)

const armsPolicy = "retry: {strategy: schedule, schedule_days: [0, 3, 7, 15], hour: 10, max_attempts: 4, min_gap: 4h}\n" +
	"experiment:\n  name: sim-arms\n  unit: customer\n  arms:\n    - {name: stripe, stripe: true, weight: 1}\n    - {name: recoup, weight: 1}\n"

// expectedUnit is a customer of test-payday-even as the test knows it in advance: invoice i
// (0-based within its shard) of 1000+i cents fails at start + i·step for customer cus_in_i;
// recoup's arm collects it on day 3 (its schedule's second charge), and in the control arm
// (which that world does not play Stripe's recovery for) only the even invoices are paid, by
// their customers on day 10.
type expectedUnit struct {
	experiment.Unit
	at    time.Time
	shard int
}

func expectedUnits(x *policy.Experiment, shards, invoices int, start, end time.Time) []expectedUnit {
	var all []expectedUnit
	for s := range shards {
		n := invoices / shards
		if s < invoices%shards {
			n++
		}
		step := end.Sub(start) / time.Duration(n)
		for i := range n {
			amount := int64(1000 + i)
			arm := x.Assign(fmt.Sprintf("cus_in_%d", i), nil)
			u := experiment.Unit{Arm: arm.Name, Share: arm.Share, Invoices: 1, Failed: amount}
			switch {
			case !arm.Control:
				u.Recovered, u.RecoveredInvoices, u.Attempts = amount, 1, 2
			case i%2 == 0:
				u.Recovered, u.RecoveredInvoices = amount, 1
			}
			all = append(all, expectedUnit{Unit: u, at: start.Add(time.Duration(i) * step), shard: s})
		}
	}
	slices.SortStableFunc(all, func(a, b expectedUnit) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.shard, b.shard)) })
	for i := range all {
		all[i].Order = int64(i)
	}
	return all
}

func close3(a, b float64) bool { return math.Abs(a-b) <= 0.0005+1e-9 }

// The experiment block is the experiment package's report of the customers the test knows in
// advance: the run joins the world's outcomes with the arms its store recorded. The control
// arm's invoices get no charge of recoup's. With shards, each shard's customers are distinct
// customers even where their ids repeat.
func TestRunMeasuresTheExperiment(t *testing.T) {
	p := mustParse(t, armsPolicy)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, shards := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d shards", shards), func(t *testing.T) {
			r := sim.Run{World: "test-payday-even", PolicyName: "p", Policy: p, Invoices: 60, Start: start,
				Months: 2, Window: 30 * 24 * time.Hour, Seed: 1, Dir: t.TempDir(), Shards: shards}
			s, err := r.Execute(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !s.StripeRecovery {
				t.Errorf("a policy with a stripe control arm ran without Stripe's recovery")
			}
			x := s.Experiment
			if x == nil {
				t.Fatal("no experiment block")
			}
			known := expectedUnits(p.Experiment, shards, 60, start, start.AddDate(0, 2, 0))
			units := make([]experiment.Unit, len(known))
			for i, u := range known {
				units[i] = u.Unit
			}
			cfg := experiment.Config{Control: "stripe", Arms: []string{"stripe", "recoup"}}
			want, err := experiment.Compute(units, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if x.Name != "sim-arms" || x.Control != "stripe" || !x.StripeControl || x.Treatment != "recoup" ||
				x.Customers != 60 || x.Invoices != 60 || x.InvoicesWithoutArm != 0 || len(x.Arms) != 2 {
				t.Fatalf("block: %+v", x)
			}
			for i, a := range x.Arms {
				w := want.Arms[i]
				if a.Name != w.Name || a.Customers != w.Customers || a.Invoices != w.Invoices || a.RecoveredInvoices != w.RecoveredInvoices ||
					!close3(a.RecoveredAmountPct, w.Recovery.Value) || a.FailedAmount != float64(w.Failed)/100 ||
					a.RecoveredAmount != float64(w.Recovered)/100 || a.Attempts != w.Attempts || a.CILow == nil ||
					!close3(*a.CILow, w.Recovery.Sequential.Low) || !close3(*a.CIHigh, w.Recovery.Sequential.High) {
					t.Errorf("arm %d: %+v, want %+v", i, a, w)
				}
			}
			if x.Arms[0].Attempts != 0 || x.Arms[1].Attempts != 2*x.Arms[1].Invoices {
				t.Errorf("charges: control %d, recoup %d for %d invoices", x.Arms[0].Attempts, x.Arms[1].Attempts, x.Arms[1].Invoices)
			}
			up := want.Uplift
			if !close3(x.UpliftPP, up.Value) || x.UpliftCILow == nil || !close3(*x.UpliftCILow, up.Sequential.Low) ||
				!close3(*x.UpliftCIHigh, up.Sequential.High) || !close3(*x.UpliftFixedCILow, up.Fixed.Low) ||
				!close3(*x.UpliftFixedCIHi, up.Fixed.High) || x.Verdict != string(up.Verdict) || x.InvoicesStillNeeded != up.Needed.Invoices {
				t.Errorf("uplift %+v, want %+v", x, up)
			}
			// The daily looks: the customers whose invoice failed before the end of each day.
			m, err := experiment.NewMonitor(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var peeks int
			var seq, fixed bool
			next := 0
			for day := start.Add(24 * time.Hour); next < len(known); day = day.Add(24 * time.Hour) {
				for ; next < len(known) && known[next].at.Before(day); next++ {
					if err := m.Add(known[next].Unit); err != nil {
						t.Fatal(err)
					}
				}
				if u := m.Uplift(); u.Ready {
					peeks++
					seq = seq || !u.Sequential.Contains(0)
					fixed = fixed || !u.Fixed.Contains(0)
				}
			}
			if peeks == 0 || x.Peeks != peeks || x.ExcludedZeroAtAnyPeek != seq || x.FixedExcludedZeroAtAnyPeek != fixed {
				t.Errorf("looks: %d, excluded 0 %v/%v; want %d, %v/%v", x.Peeks, x.ExcludedZeroAtAnyPeek, x.FixedExcludedZeroAtAnyPeek, peeks, seq, fixed)
			}
			t.Logf("%s", sim.ExperimentWords(*x))
		})
	}
}

// On the realistic world: an A/A experiment (two identical arms) finds no difference, and an
// experiment with a stripe control runs with Stripe's recovery played, which collects some of
// the control's invoices without any charge of recoup's.
func TestRealisticExperiments(t *testing.T) {
	if testing.Short() {
		t.Skip("realistic runs")
	}
	run := func(path string) sim.Summary {
		p, err := policy.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		r := sim.Run{World: "realistic", PolicyName: "p", Policy: p, Invoices: 1000, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Months: 3, Window: 60 * 24 * time.Hour, Seed: 1, Dir: t.TempDir()}
		s, err := r.Execute(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s.Experiment == nil || s.Experiment.InvoicesWithoutArm != 0 || s.Experiment.Invoices != s.FailedInvoices || s.Experiment.Peeks == 0 {
			t.Fatalf("%s: experiment %+v of %d invoices", path, s.Experiment, s.FailedInvoices)
		}
		t.Logf("%s: %s", path, sim.ExperimentWords(*s.Experiment))
		return s
	}
	aa := run("../policies/examples/aa.yaml").Experiment
	if aa.StripeControl || aa.Control != "a" || aa.UpliftCILow == nil || *aa.UpliftCILow > 0 || *aa.UpliftCIHigh < 0 ||
		aa.Verdict != string(experiment.VerdictUndecided) || aa.ExcludedZeroAtAnyPeek {
		t.Errorf("A/A: %+v", aa)
	}
	s := run("../policies/examples/experiment.yaml")
	x := s.Experiment
	if !s.StripeRecovery || s.StripeAttempts == 0 || !x.StripeControl || x.Control != "stripe" || x.Arms[0].Name != "stripe" {
		t.Fatalf("stripe control: recovery %v, %d Stripe retries, block %+v", s.StripeRecovery, s.StripeAttempts, x)
	}
	if c := x.Arms[0]; c.Attempts != 0 || c.Messages != 0 || c.RecoveredInvoices == 0 {
		t.Errorf("control arm: %+v, want no charge or message of recoup's and some invoices recovered by Stripe", c)
	}
}
