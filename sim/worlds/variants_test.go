package worlds_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/sim"
	"github.com/recoup-hq/recoup/sim/worlds"
)

func TestVariantsAreRegisteredAndDiffer(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range worlds.Variants {
		if seen[v.Name] || v.About == "" {
			t.Errorf("variant %q: duplicate name or no description", v.Name)
		}
		seen[v.Name] = true
		if reflect.DeepEqual(v.Params(), v.Base()) {
			t.Errorf("%s changes nothing of its base world", v.Name)
		}
		if _, err := sim.NewWorld(v.Name); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
	}
	// Variants copy their base: building one leaves the defaults as they were.
	before := worlds.DefaultRealisticParams()
	for _, v := range worlds.Variants {
		v.Params()
	}
	if !reflect.DeepEqual(before, worlds.DefaultRealisticParams()) {
		t.Fatal("building a variant changed the default parameters")
	}
}

// On worlds whose paydays, hours and issuers differ from realistic's, and which nothing in
// recoup was tuned to, the shipped learning policy recovers more than the fixed schedule, with
// fewer charges and no card-network violation.
func TestRecoupBeatsTheFixedScheduleOnWorldsItWasNotTunedTo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine through 40,000 simulated invoices")
	}
	pols, err := sim.LoadPolicies([]string{"../../policies/recoup.yaml", "../../policies/fixed-0-3-7-15.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"shifted"}
	for _, v := range worlds.Variants {
		names = append(names, v.Name)
	}
	for _, world := range names {
		t.Run(world, func(t *testing.T) {
			t.Parallel()
			runs, err := sim.Suite{World: world, Policies: pols, Seeds: []uint64{21}, Invoices: 2500,
				Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Months: 4, Window: 60 * 24 * time.Hour, Parallel: 1, Dir: t.TempDir()}.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			rec, fixed := runs[0], runs[1]
			if rec.Policy != "recoup" || fixed.Policy != "fixed-0-3-7-15" {
				t.Fatalf("runs in the wrong order: %s, %s", rec.Policy, fixed.Policy)
			}
			t.Logf("%s: recoup %.1f%% in %d charges, fixed %.1f%% in %d", world, rec.RecoveredAmountPct, rec.Attempts, fixed.RecoveredAmountPct, fixed.Attempts)
			if rec.RecoveredAmountPct <= fixed.RecoveredAmountPct {
				t.Errorf("recoup recovered %.1f%% of the amount, the fixed schedule %.1f%%", rec.RecoveredAmountPct, fixed.RecoveredAmountPct)
			}
			if rec.Attempts >= fixed.Attempts {
				t.Errorf("recoup made %d charges, the fixed schedule %d", rec.Attempts, fixed.Attempts)
			}
			if rec.NetworkViolations != 0 || rec.JobErrors != 0 || rec.UnsettledAtEnd != 0 {
				t.Errorf("recoup: %d violations %v, %d job errors, %d unsettled", rec.NetworkViolations, rec.ViolationsByRule, rec.JobErrors, rec.UnsettledAtEnd)
			}
		})
	}
}
