package sim_test

import (
	"testing"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
)

// The simulator runs the engine's experiment arms: the control arm's invoices, left to Stripe
// (which this test world does not play), get no charge of recoup's, and the policy arm's are
// charged as without an experiment (day 0 declined, day 3 paid).
func TestRunWithAControlArm(t *testing.T) {
	base := "retry: {strategy: schedule, schedule_days: [0, 3, 7, 15], hour: 10, max_attempts: 4, min_gap: 4h}\n"
	p, err := policy.Parse("experiment.yaml", []byte(base+
		"experiment:\n  name: sim-arms\n  unit: customer\n  arms:\n    - {name: stripe, stripe: true, weight: 1}\n    - {name: recoup, weight: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := runPayday(t, p, 1)
	if s.JobErrors != 0 || s.FailedInvoices != 60 {
		t.Fatalf("summary: %+v", s)
	}
	// Every charge is one of two on a managed invoice; some invoices, not all, are managed.
	if s.Attempts == 0 || s.Attempts >= 120 || s.Attempts%2 != 0 {
		t.Fatalf("%d charges for 60 invoices split between the control and recoup", s.Attempts)
	}
	if s.ByMechanism[sim.ByRetry].Invoices != s.Attempts/2 {
		t.Errorf("recovered by recoup's retries: %+v, want %d", s.ByMechanism, s.Attempts/2)
	}
}
