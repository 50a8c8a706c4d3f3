package worlds_test

import (
	"context"
	"testing"
	"time"

	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sim"
)

// adversarial retries every day for 20 days, a minute after any other charge, a second after a
// Stripe error, and waits for nobody: blind to decline codes as far as a policy file can be.
const adversarial = `
timezone: UTC
retry:
  schedule_days: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
  hour: 10
  max_attempts: 20
  min_gap: 1m
  error_delay: 1s
  error_limit: 10
  wait_for_customer: []
customer_wait: 60d
final_action: leave_past_due
`

// No policy file can make recoup break a card-network rule: the engine's network guard holds
// an adversarial policy to the rules the realistic world's networks count.
func TestNetworkGuardHoldsAnAdversarialPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine through 1,500 simulated invoices")
	}
	p, err := policy.Parse("adversarial.yaml", []byte(adversarial))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.Run{World: "realistic", PolicyName: "adversarial", Policy: p, Invoices: 1500,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Months: 3, Window: 60 * 24 * time.Hour, Seed: 5, Dir: t.TempDir()}.Execute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.NetworkViolations != 0 {
		t.Errorf("%d card-network violations: %v", s.NetworkViolations, s.ViolationsByRule)
	}
	if s.JobErrors != 0 || s.UnsettledAtEnd != 0 {
		t.Errorf("%d job errors, %d invoices never settled", s.JobErrors, s.UnsettledAtEnd)
	}
	// The policy did try its worst: more charges per invoice than any shipped policy makes.
	if per := float64(s.Attempts) / float64(s.FailedInvoices); per < 4 {
		t.Errorf("%.1f charges per failed invoice: the adversary was not adversarial", per)
	}
	t.Logf("%d charges on %d invoices, %.1f%% of the amount recovered", s.Attempts, s.FailedInvoices, s.RecoveredAmountPct)
}
