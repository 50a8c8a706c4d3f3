package storetest

import (
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// experimentResults returns the store's experiment reads, failing the test if it has none:
// both shipped stores implement recoup.ExperimentResults.
func experimentResults(t *testing.T, s recoup.Store) recoup.ExperimentResults {
	t.Helper()
	r, ok := s.(recoup.ExperimentResults)
	if !ok {
		t.Fatalf("%T does not implement recoup.ExperimentResults", s)
	}
	return r
}

// testExperimentResults specifies the reads of an experiment's report: the experiment's
// cases, each with its customer's assignment, in assignment order.
func testExperimentResults(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Parallel()
	s := newStore(t).Store
	r := experimentResults(t, s)
	const x = "recoup-vs-stripe"

	if _, _, err := r.ExperimentCases(t.Context(), x); !recoup.IsNotFound(err) {
		t.Fatalf("ExperimentCases of an unknown experiment: %v, want ENOTFOUND", err)
	}
	if got, err := r.Experiments(t.Context()); err != nil || len(got) != 0 {
		t.Fatalf("Experiments of an empty store: %v, %v; want none", got, err)
	}

	// cus_b is assigned first (to the control), cus_a an hour later; cus_a has two cases, one
	// of them recovered after two messages (and a confirmation, not counted), the other
	// exhausted by a cancellation. cus_other's case is in no experiment; cus_aa's in another.
	mustTx(t, s, func(tx recoup.Tx) error {
		et := experimentTx(t, tx)
		for _, a := range []recoup.Assignment{
			{Experiment: x, CustomerID: "cus_b", Arm: "stripe", Share: 0.5, AssignedAt: base},
			{Experiment: x, CustomerID: "cus_a", Arm: "recoup", Share: 0.25, AssignedAt: base.Add(time.Hour)},
			{Experiment: "aa", CustomerID: "cus_aa", Arm: "a", Share: 0.5, AssignedAt: base},
		} {
			if err := et.StartExperiment(a.Experiment, a.AssignedAt); err != nil {
				return err
			}
			if err := et.InsertAssignment(&a); err != nil {
				return err
			}
		}
		return et.StartExperiment("later", base.Add(24*time.Hour))
	})
	inArm := func(c recoup.Case, exp, arm string) recoup.Case {
		c.Experiment, c.Arm = exp, arm
		return c
	}
	control := minimalCase("in_b1", "cus_b")
	control.Amount = recoup.Money{Amount: 3000, Currency: "usd"}
	control.State, control.StripeAttempts, control.FirstFailedAt = recoup.StateClosed, 4, base
	control.ClosedReason, control.ResolvedAt = recoup.ClosedSubscriptionCancelled, base.Add(14*24*time.Hour)
	control = createCase(t, s, inArm(control, x, "stripe"))

	paid := minimalCase("in_a1", "cus_a")
	paid.Amount = recoup.Money{Amount: 5000, Currency: "usd"}
	paid.State, paid.Attempts, paid.StripeAttempts = recoup.StateRecovered, 2, 3
	paid.FirstFailedAt, paid.ResolvedAt = base.Add(time.Hour), base.Add(73*time.Hour)
	paid = createCase(t, s, inArm(paid, x, "recoup"))
	open := minimalCase("in_a2", "cus_a")
	open.Amount = recoup.Money{Amount: 2000, Currency: "usd"}
	open.State, open.Attempts, open.FirstFailedAt = recoup.StateScheduled, 1, base.Add(40*24*time.Hour)
	open = createCase(t, s, inArm(open, x, "recoup"))
	createCase(t, s, minimalCase("in_other", "cus_other"))
	createCase(t, s, inArm(minimalCase("in_aa", "cus_aa"), "aa", "a"))

	mustTx(t, s, func(tx recoup.Tx) error {
		for _, m := range []recoup.Message{fullMessage(paid, 0), fullMessage(paid, 1), fullMessage(paid, recoup.StepConfirmation), fullMessage(open, 0)} {
			if m.CaseID == open.ID {
				m.Status, m.SentAt = recoup.MessagePending, time.Time{}
			}
			if err := tx.InsertMessage(&m); err != nil {
				return err
			}
		}
		return nil
	})

	e, got, err := r.ExperimentCases(t.Context(), x)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "experiment", recoup.Experiment{Name: x, StartedAt: stored(base)}, e)
	want := []recoup.ExperimentCase{
		{CustomerID: "cus_b", Arm: "stripe", Share: 0.5, AssignedAt: stored(base), CaseID: control.ID, Amount: control.Amount,
			State: recoup.StateClosed, StripeAttempts: 4, FirstFailedAt: stored(base), ResolvedAt: stored(control.ResolvedAt),
			ClosedReason: recoup.ClosedSubscriptionCancelled},
		{CustomerID: "cus_a", Arm: "recoup", Share: 0.25, AssignedAt: stored(base.Add(time.Hour)), CaseID: paid.ID, Amount: paid.Amount,
			State: recoup.StateRecovered, Attempts: 2, StripeAttempts: 3, Messages: 2, FirstFailedAt: stored(paid.FirstFailedAt),
			ResolvedAt: stored(paid.ResolvedAt)},
		{CustomerID: "cus_a", Arm: "recoup", Share: 0.25, AssignedAt: stored(base.Add(time.Hour)), CaseID: open.ID, Amount: open.Amount,
			State: recoup.StateScheduled, Attempts: 1, FirstFailedAt: stored(open.FirstFailedAt)},
	}
	wantEqual(t, "ExperimentCases", want, got)
	if !got[0].Lost() || got[1].Lost() || !got[0].Resolved() || !got[1].Resolved() || got[2].Resolved() {
		t.Errorf("Lost/Resolved: want the cancelled control lost, the recovered and closed resolved, the scheduled not: %+v", got)
	}

	// Ended, with an arm promoted: the read says so.
	mustTx(t, s, func(tx recoup.Tx) error {
		return experimentTx(t, tx).EndExperiment(x, base.Add(60*24*time.Hour), "ops@example.com", "recoup")
	})
	list, err := r.Experiments(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Experiments", []recoup.Experiment{
		{Name: "later", StartedAt: stored(base.Add(24 * time.Hour))},
		{Name: "aa", StartedAt: stored(base)},
		{Name: x, StartedAt: stored(base), EndedAt: stored(base.Add(60 * 24 * time.Hour)), EndedBy: "ops@example.com", PromotedArm: "recoup"},
	}, list)
}
