package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// experimentTx returns the transaction's experiment methods, failing the test if the store
// has none: both shipped stores implement recoup.ExperimentTx.
func experimentTx(t *testing.T, tx recoup.Tx) recoup.ExperimentTx {
	t.Helper()
	et, ok := tx.(recoup.ExperimentTx)
	if !ok {
		t.Fatalf("%T does not implement recoup.ExperimentTx", tx)
	}
	return et
}

func testExperiments(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Run("a customer's first assignment stands", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		first := recoup.Assignment{Experiment: "recoup-vs-stripe", CustomerID: "cus_exp", Arm: "stripe", Share: 0.5, AssignedAt: base}
		mustTx(t, s, func(tx recoup.Tx) error {
			et := experimentTx(t, tx)
			if _, err := et.Assignment("recoup-vs-stripe", "cus_exp"); !recoup.IsNotFound(err) {
				t.Errorf("Assignment before any: %v, want ENOTFOUND", err)
			}
			if err := et.InsertAssignment(&first); err != nil {
				return err
			}
			// The weights changed: a second assignment of the customer is refused, and the
			// transaction goes on.
			again := recoup.Assignment{Experiment: "recoup-vs-stripe", CustomerID: "cus_exp", Arm: "recoup", Share: 0.9, AssignedAt: base.Add(time.Hour)}
			wantCode(t, et.InsertAssignment(&again), recoup.ECONFLICT)
			return tx.SetCursor("after_conflict", "ok")
		})
		wantCursor(t, s, "after_conflict", "ok")
		mustTx(t, s, func(tx recoup.Tx) error {
			et := experimentTx(t, tx)
			got, err := et.Assignment("recoup-vs-stripe", "cus_exp")
			if err != nil {
				return err
			}
			want := first
			want.AssignedAt = stored(base)
			wantEqual(t, "Tx.Assignment", want, got)
			// Per experiment and customer.
			for _, k := range [][2]string{{"aa", "cus_exp"}, {"recoup-vs-stripe", "cus_other"}} {
				if _, err := et.Assignment(k[0], k[1]); !recoup.IsNotFound(err) {
					t.Errorf("Assignment(%s, %s): %v, want ENOTFOUND", k[0], k[1], err)
				}
			}
			// The same customer in another experiment is another assignment.
			return et.InsertAssignment(&recoup.Assignment{Experiment: "aa", CustomerID: "cus_exp", Arm: "a", Share: 1, AssignedAt: base})
		})
	})

	t.Run("an assignment rolled back is not kept", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		err := s.Tx(t.Context(), func(tx recoup.Tx) error {
			if err := experimentTx(t, tx).InsertAssignment(&recoup.Assignment{Experiment: "x", CustomerID: "cus_rb", Arm: "a", Share: 0.5, AssignedAt: base}); err != nil {
				return err
			}
			return errRollback
		})
		if err != errRollback {
			t.Fatalf("Tx: %v", err)
		}
		mustTx(t, s, func(tx recoup.Tx) error {
			if _, err := experimentTx(t, tx).Assignment("x", "cus_rb"); !recoup.IsNotFound(err) {
				t.Errorf("Assignment after a rollback: %v, want ENOTFOUND", err)
			}
			return nil
		})
	})

	t.Run("an invalid assignment is refused", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		for name, a := range map[string]recoup.Assignment{
			"no experiment": {CustomerID: "c", Arm: "a", Share: 0.5, AssignedAt: base},
			"no customer":   {Experiment: "x", Arm: "a", Share: 0.5, AssignedAt: base},
			"no arm":        {Experiment: "x", CustomerID: "c", Share: 0.5, AssignedAt: base},
			"share 0":       {Experiment: "x", CustomerID: "c", Arm: "a", AssignedAt: base},
			"share above 1": {Experiment: "x", CustomerID: "c", Arm: "a", Share: 1.5, AssignedAt: base},
			"no time":       {Experiment: "x", CustomerID: "c", Arm: "a", Share: 0.5},
		} {
			err := s.Tx(t.Context(), func(tx recoup.Tx) error { return experimentTx(t, tx).InsertAssignment(&a) })
			if recoup.ErrorCode(err) != recoup.EINVALID {
				t.Errorf("%s: want EINVALID, got %v", name, err)
			}
		}
	})

	t.Run("an experiment starts once and ends once", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		mustTx(t, s, func(tx recoup.Tx) error {
			et := experimentTx(t, tx)
			if _, err := et.Experiment("recoup-vs-stripe"); !recoup.IsNotFound(err) {
				t.Errorf("Experiment before its start: %v, want ENOTFOUND", err)
			}
			wantCode(t, et.EndExperiment("recoup-vs-stripe", base, "ops@example.com", ""), recoup.ENOTFOUND)
			if err := et.StartExperiment("recoup-vs-stripe", base); err != nil {
				return err
			}
			// Starting again (a later case, another process) changes nothing.
			return et.StartExperiment("recoup-vs-stripe", base.Add(time.Hour))
		})
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := experimentTx(t, tx).Experiment("recoup-vs-stripe")
			if err != nil {
				return err
			}
			wantEqual(t, "started experiment", recoup.Experiment{Name: "recoup-vs-stripe", StartedAt: stored(base)}, got)
			if got.Ended() {
				t.Error("a started experiment reads as ended")
			}
			return nil
		})
		mustTx(t, s, func(tx recoup.Tx) error {
			et := experimentTx(t, tx)
			if err := et.EndExperiment("recoup-vs-stripe", base.Add(48*time.Hour), "ops@example.com", "recoup"); err != nil {
				return err
			}
			wantCode(t, et.EndExperiment("recoup-vs-stripe", base.Add(72*time.Hour), "someone@example.com", "stripe"), recoup.ECONFLICT)
			return tx.SetCursor("after_conflict", "ok")
		})
		wantCursor(t, s, "after_conflict", "ok")
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := experimentTx(t, tx).Experiment("recoup-vs-stripe")
			if err != nil {
				return err
			}
			wantEqual(t, "ended experiment", recoup.Experiment{Name: "recoup-vs-stripe", StartedAt: stored(base),
				EndedAt: stored(base.Add(48 * time.Hour)), EndedBy: "ops@example.com", PromotedArm: "recoup"}, got)
			if !got.Ended() {
				t.Error("an ended experiment reads as running")
			}
			return nil
		})
		err := s.Tx(t.Context(), func(tx recoup.Tx) error { return experimentTx(t, tx).StartExperiment("", base) })
		wantCode(t, err, recoup.EINVALID)
	})

	t.Run("the arms' outcomes count resolved cases only", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := experimentTx(t, tx).ArmOutcomes("tones", "")
			if err != nil || len(got) != 0 {
				t.Errorf("outcomes of an experiment with no case: %v, %v; want none", got, err)
			}
			return nil
		})
		n := 0
		add := func(experiment, arm string, state recoup.CaseState) {
			n++
			c := minimalCase(fmt.Sprintf("in_out_%d", n), fmt.Sprintf("cus_out_%d", n))
			c.Experiment, c.Arm, c.State = experiment, arm, state
			createCase(t, s, c)
		}
		for range 3 {
			add("tones", "gentle", recoup.StateRecovered)
		}
		add("tones", "gentle", recoup.StateExhausted)
		add("tones", "gentle", recoup.StateScheduled) // not resolved yet
		add("tones", "firm", recoup.StateClosed)
		add("tones", "firm", recoup.StateRecovered)
		add("tones", "firm", recoup.StateAwaitingCustomer)
		add("other", "gentle", recoup.StateRecovered) // another experiment
		add("", "", recoup.StateRecovered)            // no experiment
		mustTx(t, s, func(tx recoup.Tx) error {
			got, err := experimentTx(t, tx).ArmOutcomes("tones", "")
			if err != nil {
				return err
			}
			wantEqual(t, "ArmOutcomes", []recoup.ArmOutcome{
				{Arm: "firm", Resolved: 2, Recovered: 1},
				{Arm: "gentle", Resolved: 4, Recovered: 3},
			}, got)
			return nil
		})
	})

	t.Run("the arms' outcomes follow the cases' states, per stratum", func(t *testing.T) {
		t.Parallel()
		s := newStore(t).Store
		at := time.Unix(1_800_000_000, 0).UTC()
		n := 0
		// A customer of the stratum, assigned to the arm, with one case in the state.
		add := func(stratum, arm string, state recoup.CaseState) recoup.Case {
			n++
			cus := fmt.Sprintf("cus_strat_%d", n)
			mustTx(t, s, func(tx recoup.Tx) error {
				return experimentTx(t, tx).InsertAssignment(&recoup.Assignment{Experiment: "hours", CustomerID: cus, Arm: arm, Share: 0.5, AssignedAt: at, Stratum: stratum})
			})
			c := minimalCase(fmt.Sprintf("in_strat_%d", n), cus)
			c.Experiment, c.Arm, c.State = "hours", arm, state
			createCase(t, s, c)
			var got recoup.Case
			mustTx(t, s, func(tx recoup.Tx) error {
				var err error
				got, err = tx.CaseByInvoice(c.InvoiceID)
				return err
			})
			return got
		}
		set := func(c *recoup.Case, state recoup.CaseState) {
			c.State = state
			mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateCase(c) })
		}
		want := func(stratum string, w []recoup.ArmOutcome) {
			t.Helper()
			mustTx(t, s, func(tx recoup.Tx) error {
				got, err := experimentTx(t, tx).ArmOutcomes("hours", stratum)
				if err != nil {
					return err
				}
				wantEqual(t, "ArmOutcomes of stratum "+stratum, w, got)
				return nil
			})
		}
		east := add("UTC-05:00", "morning", recoup.StateScheduled)
		add("UTC-05:00", "evening", recoup.StateExhausted)
		west := add("UTC-08:00", "morning", recoup.StateRecovered)
		assigned := add("UTC-05:00", "morning", recoup.StateScheduled)
		want("UTC-05:00", []recoup.ArmOutcome{{Arm: "evening", Resolved: 1, Recovered: 0}})
		want("UTC-08:00", []recoup.ArmOutcome{{Arm: "morning", Resolved: 1, Recovered: 1}})
		want("", nil)

		set(&east, recoup.StateExhausted) // resolved: counts
		want("UTC-05:00", []recoup.ArmOutcome{{Arm: "evening", Resolved: 1}, {Arm: "morning", Resolved: 1}})
		set(&east, recoup.StateRecovered) // paid after its final action: counted once, as recovered
		want("UTC-05:00", []recoup.ArmOutcome{{Arm: "evening", Resolved: 1}, {Arm: "morning", Resolved: 1, Recovered: 1}})
		east.Attempts++ // another change of a resolved case: nothing moves
		mustTx(t, s, func(tx recoup.Tx) error { return tx.UpdateCase(&east) })
		want("UTC-05:00", []recoup.ArmOutcome{{Arm: "evening", Resolved: 1}, {Arm: "morning", Resolved: 1, Recovered: 1}})
		set(&west, recoup.StateScheduled) // no longer resolved: it leaves the counts
		want("UTC-08:00", nil)
		set(&assigned, recoup.StateClosed)
		want("UTC-05:00", []recoup.ArmOutcome{{Arm: "evening", Resolved: 1}, {Arm: "morning", Resolved: 2, Recovered: 1}})
	})
}
