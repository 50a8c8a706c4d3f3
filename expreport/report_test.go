package expreport

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/experiment"
	"github.com/recoup-hq/recoup/policy"
)

var t0 = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// smallExperiment is an experiment of seven customers, in assignment order: four resolved, one
// still in progress (cus_5), one resolved after it (cus_6, which waits) and one in euros.
func smallExperiment() (recoup.Experiment, []recoup.ExperimentCase) {
	usd := func(n int64) recoup.Money { return recoup.Money{Amount: n, Currency: "usd"} }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	c := func(cus, arm string, i int, id int64, amount recoup.Money, state recoup.CaseState) recoup.ExperimentCase {
		return recoup.ExperimentCase{CustomerID: cus, Arm: arm, Share: 0.5, AssignedAt: at(i), CaseID: id, Amount: amount, State: state, FirstFailedAt: at(i)}
	}
	cases := []recoup.ExperimentCase{
		c("cus_1", "stripe", 1, 11, usd(3000), recoup.StateRecovered),
		c("cus_2", "recoup", 2, 21, usd(5000), recoup.StateRecovered),
		c("cus_2", "recoup", 2, 22, usd(1000), recoup.StateExhausted),
		c("cus_3", "stripe", 3, 31, usd(2000), recoup.StateClosed),
		c("cus_4", "recoup", 4, 41, usd(4000), recoup.StateRecovered),
		c("cus_5", "recoup", 5, 55, usd(1000), recoup.StateScheduled),
		c("cus_6", "stripe", 6, 61, usd(2500), recoup.StateRecovered),
		c("cus_7", "recoup", 7, 71, recoup.Money{Amount: 900, Currency: "eur"}, recoup.StateRecovered),
	}
	cases[0].StripeAttempts, cases[0].ResolvedAt = 3, at(1).Add(4*day)
	cases[1].Attempts, cases[1].Messages, cases[1].ResolvedAt = 2, 2, at(2).Add(2*day)
	cases[2].Attempts, cases[2].Messages, cases[2].FinalAction, cases[2].ResolvedAt = 4, 3, recoup.FinalCancelSubscription, at(2).Add(20*day)
	cases[3].StripeAttempts, cases[3].ClosedReason, cases[3].ResolvedAt = 5, recoup.ClosedSubscriptionCancelled, at(3).Add(15*day)
	cases[4].Attempts, cases[4].Messages, cases[4].ResolvedAt = 1, 1, at(4).Add(6*day)
	cases[5].Attempts = 1
	cases[6].StripeAttempts, cases[6].ResolvedAt = 2, at(6).Add(day)
	cases[7].ResolvedAt = at(7).Add(day)
	return recoup.Experiment{Name: "recoup-vs-stripe", StartedAt: t0}, cases
}

var setup = Setup{Arms: []string{"stripe", "recoup"}, Control: "stripe"}

func TestAssembleSmall(t *testing.T) {
	e, cases := smallExperiment()
	_, err := Assemble(e, cases, setup, Options{})
	if recoup.ErrorCode(err) != recoup.EINVALID || !strings.Contains(err.Error(), "2 currencies (eur, usd)") {
		t.Fatalf("two currencies and none chosen: %v, want EINVALID naming them", err)
	}
	r, err := Assemble(e, cases, setup, Options{Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	wantArms := []Arm{
		{Name: "stripe", Control: true, Baseline: true, Customers: 2, Invoices: 2, Failed: 5000, Recovered: 3000, RecoveredPct: 60,
			RecoveredInvoices: 1, MedianDays: 4, Attempts: 2 + 4, Messages: 0, Lost: 1, Recovery: Interval{Value: 60}},
		{Name: "recoup", Customers: 2, Invoices: 3, Failed: 10000, Recovered: 9000, RecoveredPct: 90,
			RecoveredInvoices: 2, MedianDays: 4, Attempts: 2 + 4 + 1, Messages: 6, Lost: 1, Recovery: Interval{Value: 90}},
	}
	if !reflect.DeepEqual(wantArms, r.Arms) {
		t.Errorf("arms:\n got %+v\nwant %+v", r.Arms, wantArms)
	}
	if r.Customers != 4 || r.Invoices != 5 || r.InProgress != 1 || r.Waiting != 1 || !r.CutOff.Equal(t0.Add(5*time.Hour)) || r.OldestCase != 55 {
		t.Errorf("counted %d customers, %d invoices; in progress %d, waiting %d, cut-off %v, oldest case %d; want 4, 5, 1, 1, %v, 55",
			r.Customers, r.Invoices, r.InProgress, r.Waiting, r.CutOff, r.OldestCase, t0.Add(5*time.Hour))
	}
	if r.Uplift == nil || math.Abs(r.Uplift.Value-30) > 1e-9 || r.Uplift.Ready || r.Uplift.Treatment != "recoup" || r.Uplift.Baseline != "stripe" {
		t.Errorf("uplift %+v, want recoup over stripe, 30 pp, no interval yet", r.Uplift)
	}
	if !strings.HasPrefix(r.Uplift.Verdict, "no verdict yet") {
		t.Errorf("verdict %q", r.Uplift.Verdict)
	}
	if !slicesEqual(r.Currencies, []string{"eur", "usd"}) || r.Currency != "usd" {
		t.Errorf("currencies %v, currency %q", r.Currencies, r.Currency)
	}

	eur, err := Assemble(e, cases, setup, Options{Currency: "eur"})
	if err != nil {
		t.Fatal(err)
	}
	if eur.Customers != 1 || eur.Arms[1].Recovered != 900 || eur.Arms[0].Customers != 0 || eur.InProgress != 0 {
		t.Errorf("eur report: %+v", eur)
	}
	if _, err := Assemble(e, cases, setup, Options{Currency: "gbp"}); recoup.ErrorCode(err) != recoup.EINVALID {
		t.Errorf("a currency without cases: %v, want EINVALID", err)
	}
}

func slicesEqual(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// TestAssembleFeedsResolvedPrefix checks that the statistics get exactly the customers
// assigned before the first one in progress, as units in assignment order, and that the
// chart's path ends at the report's uplift.
func TestAssembleFeedsResolvedPrefix(t *testing.T) {
	var cases []recoup.ExperimentCase
	var want []experiment.Unit
	for i := range 60 {
		arm := "recoup"
		if i%2 == 0 {
			arm = "stripe"
		}
		state := recoup.StateExhausted
		if i%3 == 0 || arm == "recoup" && i%5 != 0 {
			state = recoup.StateRecovered
		}
		if i == 50 {
			state = recoup.StateAwaitingCustomer // holds back itself and every later customer
		}
		amount := int64(1000 + 37*i)
		at := t0.Add(time.Duration(i) * time.Hour)
		cases = append(cases, recoup.ExperimentCase{CustomerID: fmt.Sprintf("cus_%02d", i), Arm: arm, Share: 0.5, AssignedAt: at, CaseID: int64(i + 1),
			Amount: recoup.Money{Amount: amount, Currency: "usd"}, State: state, Attempts: i % 4, StripeAttempts: 1 + i%3, FirstFailedAt: at, ResolvedAt: at.Add(48 * time.Hour)})
		if i < 50 {
			u := experiment.Unit{Arm: arm, Share: 0.5, Order: int64(i), Invoices: 1, Failed: amount}
			if arm == "stripe" {
				u.Attempts = i % 3
			} else {
				u.Attempts = i % 4
			}
			if state == recoup.StateRecovered {
				u.Recovered, u.RecoveredInvoices, u.DaysToRecovery = amount, 1, []float64{2}
			}
			want = append(want, u)
		}
	}
	r, err := Assemble(recoup.Experiment{Name: "x", StartedAt: t0}, cases, setup, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := experiment.Config{Control: "stripe", Arms: setup.Arms}
	rep, err := experiment.Compute(want, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Customers != 50 || r.InProgress != 1 || r.Waiting != 9 {
		t.Fatalf("customers %d, in progress %d, waiting %d; want 50, 1, 9", r.Customers, r.InProgress, r.Waiting)
	}
	if got := interval(rep.Uplift.Estimate); r.Uplift == nil || r.Uplift.Interval != got || !got.Ready {
		t.Errorf("uplift %+v, want %+v (ready)", r.Uplift, got)
	}
	for i, a := range rep.Arms {
		if r.Arms[i].Recovery != interval(a.Recovery) || r.Arms[i].Attempts != a.Attempts {
			t.Errorf("arm %s: %+v, want recovery %+v, attempts %d", a.Name, r.Arms[i], a.Recovery, a.Attempts)
		}
	}
	if len(r.Path) == 0 || r.Path[len(r.Path)-1].Interval != r.Uplift.Interval || r.Path[len(r.Path)-1].Customers != 50 {
		t.Errorf("path's last point %+v, want the report's uplift at 50 customers", r.Path[len(r.Path)-1])
	}

	var text, csv bytes.Buffer
	if err := Write(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Experiment x: running since 1 Oct 2026.", "stripe (control, Stripe)", "1 still in progress", "Verdict: ", "confidence sequence, 95%"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}
	if err := WriteCSV(&csv, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "x,usd,stripe,true,true,25,") || !strings.Contains(lines[2], ","+r.Uplift.Verdict) {
		t.Errorf("csv:\n%s", csv.String())
	}
}

// Under optimize with a fixed arm, the report also compares the adapting arms pooled (their
// share together, fixed) with the fixed arm: Compute over the relabelled units, the control's
// customers left out; SetupOf finds the arms in the policy.
func TestAssembleOptimizedAgainstFixedArm(t *testing.T) {
	p, err := policy.Parse("p.yaml", []byte("experiment:\n  name: opt\n  unit: customer\n  optimize: {floor: 5}\n  arms:\n"+
		"    - {name: stripe, stripe: true, weight: 1}\n    - {name: builtin, weight: 1, fixed: true}\n"+
		"    - {name: a, weight: 1}\n    - {name: b, weight: 1, campaign: {hour: 18}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := SetupOf(p, "opt")
	if s.Fixed != "builtin" || !reflect.DeepEqual(s.Adapting, []string{"a", "b"}) || s.PoolShare != 0.5 || s.Control != "stripe" {
		t.Fatalf("setup %+v", s)
	}
	var cases []recoup.ExperimentCase
	var want []experiment.Unit
	arms := []string{"stripe", "builtin", "a", "b"}
	for i := range 200 {
		arm := arms[i%4]
		share := map[string]float64{"stripe": 0.25, "builtin": 0.25, "a": 0.05 + 0.4*float64(i)/200, "b": 0.45 - 0.4*float64(i)/200}[arm]
		amount := int64(1000 + 37*i)
		state := recoup.StateExhausted
		if i%3 != 0 || arm == "a" && i%5 == 0 {
			state = recoup.StateRecovered
		}
		at := t0.Add(time.Duration(i) * time.Hour)
		cases = append(cases, recoup.ExperimentCase{CustomerID: fmt.Sprintf("cus_%d", i), Arm: arm, Share: share, AssignedAt: at,
			CaseID: int64(i + 1), Amount: recoup.Money{Amount: amount, Currency: "usd"}, State: state, FirstFailedAt: at, ResolvedAt: at.Add(day)})
		u := experiment.Unit{Arm: arm, Share: share, Order: int64(i), Invoices: 1, Failed: amount}
		if state == recoup.StateRecovered {
			u.Recovered, u.RecoveredInvoices, u.DaysToRecovery = amount, 1, []float64{1}
		}
		switch arm {
		case "stripe":
			continue
		case "a", "b":
			u.Arm, u.Share = PooledArm, 0.5
		}
		want = append(want, u)
	}
	r, err := Assemble(recoup.Experiment{Name: "opt", StartedAt: t0}, cases, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := experiment.Compute(want, experiment.Config{Control: "builtin", Treatment: PooledArm})
	if err != nil {
		t.Fatal(err)
	}
	o := r.Optimized
	if o == nil || o.Baseline != "builtin" || o.Treatment != PooledArm || !reflect.DeepEqual(r.Adapting, []string{"a", "b"}) {
		t.Fatalf("optimized %+v, adapting %v", o, r.Adapting)
	}
	if math.Abs(o.Value-rep.Uplift.Value) > 1e-9 || math.Abs(o.Low-rep.Uplift.Sequential.Low) > 1e-9 || !o.Ready {
		t.Errorf("optimized %+v, want %+v", o.Interval, rep.Uplift.Estimate)
	}
	var out bytes.Buffer
	if err := Write(&out, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "The campaign that learns: the adapting arms together (a, b) over the fixed arm builtin: ") {
		t.Errorf("report:\n%s", out.String())
	}
	// Without a fixed arm there is no such comparison.
	if r, err := Assemble(recoup.Experiment{Name: "opt", StartedAt: t0}, cases, setup, Options{}); err != nil || r.Optimized != nil {
		t.Errorf("without a fixed arm: %+v, %v", r.Optimized, err)
	}
}
