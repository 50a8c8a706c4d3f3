package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/expreport"
	"github.com/recoup-hq/recoup/policy"
	"github.com/recoup-hq/recoup/sqlite"
)

const examplePolicy = "../../policies/examples/experiment.yaml"

// seedExperiment writes into the database at path an experiment of four resolved customers
// and one in progress, in dollars: stripe recovers 3000 of 5000 (one customer lost), recoup
// 10000 of 10000.
func seedExperiment(t *testing.T, path string) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := sqlite.NewStore(db, nil)
	t0 := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	type c struct {
		cus, arm string
		amount   int64
		state    recoup.CaseState
		attempts int
		days     int
	}
	cases := []c{
		{"cus_1", "stripe", 3000, recoup.StateRecovered, 3, 4},
		{"cus_2", "recoup", 5000, recoup.StateRecovered, 2, 2},
		{"cus_3", "stripe", 2000, recoup.StateClosed, 5, 15},
		{"cus_4", "recoup", 5000, recoup.StateRecovered, 1, 6},
		{"cus_5", "recoup", 1000, recoup.StateScheduled, 1, 0},
	}
	err = st.Tx(t.Context(), func(tx recoup.Tx) error {
		et := tx.(recoup.ExperimentTx)
		if err := et.StartExperiment("recoup-vs-stripe", t0); err != nil {
			return err
		}
		for i, k := range cases {
			at := t0.Add(time.Duration(i) * time.Hour)
			if err := et.InsertAssignment(&recoup.Assignment{Experiment: "recoup-vs-stripe", CustomerID: k.cus, Arm: k.arm, Share: 0.5, AssignedAt: at}); err != nil {
				return err
			}
			cs := recoup.Case{InvoiceID: "in_" + k.cus, CustomerID: k.cus, Amount: recoup.Money{Amount: k.amount, Currency: "usd"}, State: k.state,
				Category: recoup.CategoryFunds, FirstFailedAt: at, CreatedAt: at, UpdatedAt: at, Experiment: "recoup-vs-stripe", Arm: k.arm}
			if k.arm == "stripe" {
				cs.StripeAttempts = k.attempts
			} else {
				cs.Attempts = k.attempts
			}
			if k.state != recoup.StateScheduled {
				cs.ResolvedAt = at.Add(time.Duration(k.days) * 24 * time.Hour)
			}
			if k.state == recoup.StateClosed {
				cs.ClosedReason = recoup.ClosedSubscriptionCancelled
			}
			if err := tx.CreateCase(&cs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExperimentCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	if err := run(t.Context(), []string{"--database-url", db, "migrate"}, &bytes.Buffer{}, func(int) {}); err != nil {
		t.Fatal(err)
	}
	seedExperiment(t, db)
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), append([]string{"--database-url", db, "--log-level", "error"}, args...), &out, func(int) {})
		return out.String(), err
	}

	// Text: the policy file names the control and the arms' order.
	out, err := cmd("experiment", "report", "--policy", examplePolicy)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Experiment recoup-vs-stripe: running since 1 Oct 2026.",
		"Amounts in USD. 4 customers with 4 invoices counted (all resolved); 1 still in progress.",
		"stripe (control, Stripe)  2          2         50.00 USD   30.00 USD   60.0",
		"recoup                    2          2         100.00 USD  100.00 USD  100.0",
		"Uplift of recoup over stripe: +40.0 pp of the failed amount",
		"Verdict: no verdict yet: too few resolved customers in each arm for an interval.",
		"interval valid however often it is read (confidence sequence, 95%): not yet\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}

	// JSON: the same figures; attempts of the control are Stripe's retries (3-1 + 5-1).
	out, err = cmd("experiment", "report", "recoup-vs-stripe", "--policy", examplePolicy, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r expreport.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(r.Arms) != 2 || r.Arms[0].Attempts != 6 || r.Arms[0].Lost != 1 || r.Arms[1].Attempts != 3 || r.Arms[1].Recovered != 10000 ||
		r.Arms[1].MedianDays != 4 || r.InProgress != 1 || r.Uplift == nil || r.Uplift.Baseline != "stripe" {
		t.Errorf("json report: %+v", r)
	}

	// CSV: one row per arm.
	out, err = cmd("experiment", "report", "--policy", examplePolicy, "--csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "recoup-vs-stripe,usd,stripe,true,true,2,2,5000,3000,60.0000,,,1,4.0000,6,0,1,") {
		t.Errorf("csv:\n%s", out)
	}

	// Without a policy file: the store's experiment, its first arm as the baseline.
	if out, err = cmd("experiment", "report"); err != nil || !strings.Contains(out, "stripe (baseline)") {
		t.Errorf("report without a policy file: %v\n%s", err, out)
	}

	// End and promote recoup: audited, the promoted policy in the history with its note, and
	// printed for the operator to copy.
	out, err = cmd("experiment", "end", "recoup-vs-stripe", "--promote", "recoup", "--by", "ops@example.com", "--policy", examplePolicy)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "arm recoup promoted") || !strings.Contains(out, "# Promoted from policy version") || !strings.Contains(out, "Copy this policy into the policy file") {
		t.Errorf("end output:\n%s", out)
	}
	if _, err := cmd("experiment", "end", "recoup-vs-stripe", "--by", "someone@example.com"); recoup.ErrorCode(err) != recoup.ECONFLICT {
		t.Errorf("ending again: %v, want ECONFLICT", err)
	}
	out, err = cmd("experiment", "list")
	if err != nil || !strings.Contains(out, "by ops@example.com, arm recoup promoted") {
		t.Errorf("list: %v\n%s", err, out)
	}

	sdb, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	st := sqlite.NewStore(sdb, nil)
	audit, err := st.Audit(t.Context(), recoup.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[1].Action != "promote_arm" || audit[1].UserEmail != "ops@example.com" || audit[1].Outcome != "ok" ||
		audit[1].Detail != "experiment recoup-vs-stripe ended, arm recoup promoted (from the command line)" ||
		audit[0].Action != "end_experiment" || audit[0].Outcome == "ok" {
		t.Errorf("audit: %+v", audit)
	}
	versions, err := st.PolicyVersions(t.Context(), 5)
	if err != nil || len(versions) != 1 || versions[0].Note != "arm recoup of experiment recoup-vs-stripe promoted by ops@example.com" {
		t.Errorf("policy history: %+v, %v", versions, err)
	}
}

// An experiment ended with an arm promoted from another process (recoup experiment end) is
// put in force by serve's next poll of the unchanged policy file, and recorded in the policy
// history with its note; a restart finds it too (inForce at start).
func TestServePutsAPromotedArmInForce(t *testing.T) {
	ctx := t.Context()
	db := migratedSQLite(t)
	st := sqlite.NewStore(db, nil)
	clock := &fixedClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	file, err := loadPolicy(examplePolicy, "")
	if err != nil {
		t.Fatal(err)
	}
	a := &app{backend: &backend{store: st}, clock: clock, log: slog.New(slog.DiscardHandler), policy: file}
	h := &holder{p: file}
	r := &reloader{path: examplePolicy, holder: h, log: a.log, file: file,
		changed: func(p *policy.Policy, note string) { a.recordPolicy(ctx, p, note) },
		inForce: func(f *policy.Policy) (*policy.Policy, string, error) { return a.inForce(ctx, f) }}
	poll := pollBy(t, r)
	if err := poll(); !errors.Is(err, errUnchanged) || h.Policy() != file {
		t.Fatalf("before the end: %v", err)
	}
	err = st.Tx(ctx, func(tx recoup.Tx) error {
		if err := tx.(recoup.ExperimentTx).StartExperiment("recoup-vs-stripe", clock.t); err != nil {
			return err
		}
		return tx.(recoup.ExperimentTx).EndExperiment("recoup-vs-stripe", clock.t, "ops@example.com", "stripe")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := poll(); err != nil {
		t.Fatalf("poll after the end: %v", err)
	}
	want, err := file.Promote("stripe")
	if err != nil {
		t.Fatal(err)
	}
	got := h.Policy()
	if got.Version != want.Version || !got.Observing() {
		t.Fatalf("in force: %s (observing %v), want the promoted control's %s in mode observe", got.Version, got.Observing(), want.Version)
	}
	if err := poll(); !errors.Is(err, errUnchanged) || h.Policy() != got {
		t.Errorf("a later poll: %v", err)
	}
	versions, err := st.PolicyVersions(ctx, 5)
	if err != nil || len(versions) != 1 || versions[0].Version != want.Version || versions[0].Note != "arm stripe of experiment recoup-vs-stripe promoted by ops@example.com" {
		t.Errorf("history: %+v, %v", versions, err)
	}
	again, note, err := a.inForce(ctx, file) // as serve does at start
	if err != nil || again.Version != want.Version || note == "" {
		t.Errorf("at start: %v %q %v", again.Version, note, err)
	}
}
