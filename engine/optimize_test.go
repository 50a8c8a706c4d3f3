package engine_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// Optimize through the engine: new customers' arms are drawn from shares that follow the policy
// arms' results, with the floor for every arm and the control's share fixed; the share
// recorded is the share used; the same store gives the same shares; a customer keeps the arm.

const optimizePolicy = testPolicy + `campaign:
  hour: 9
  steps:
    - {day: 1, template: reminder, tone: gentle}
experiment:
  name: tones
  unit: customer
  optimize: {floor: 10}
  arms:
    - {name: stripe, stripe: true, weight: 2}
    - {name: gentle, weight: 1}
    - name: firm
      weight: 1
      campaign: {steps: [{day: 1, template: reminder, tone: firm}]}
    - name: late
      weight: 1
      campaign: {hour: 17}
`

// seedOutcomes stores resolved cases of the experiment: n per policy arm, all of firm's
// recovered, none of the others'.
func seedOutcomes(t *testing.T, h *harness, n int) {
	t.Helper()
	err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
		for _, arm := range []string{"gentle", "firm", "late"} {
			for i := range n {
				state := recoup.StateExhausted
				if arm == "firm" {
					state = recoup.StateRecovered
				}
				c := recoup.Case{InvoiceID: fmt.Sprintf("in_old_%s_%d", arm, i), CustomerID: fmt.Sprintf("cus_old_%s_%d", arm, i),
					Amount: recoup.Money{Amount: 2500, Currency: "usd"}, State: state, Category: recoup.CategoryFunds,
					CreatedAt: h.now, UpdatedAt: h.now, ResolvedAt: h.now, Experiment: "tones", Arm: arm}
				if err := tx.CreateCase(&c); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type optimizeOutcome struct {
	arm     string
	share   float64
	shares  []float64
	summary string
}

// openFor opens a case for each customer and returns what their assignments say.
func openFor(t *testing.T, h *harness, prefix string, customers []string) map[string]optimizeOutcome {
	t.Helper()
	for i, cus := range customers {
		inv := fmt.Sprintf("in_%s_%d", prefix, i)
		h.gw.failRenewal(inv, cus, 2500, insufficient)
		h.ingest("evt_"+inv, "invoice.payment_failed", inv, cus)
	}
	h.runDue()
	out := map[string]optimizeOutcome{}
	for i, cus := range customers {
		inv := fmt.Sprintf("in_%s_%d", prefix, i)
		var c recoup.Case
		var a recoup.Assignment
		err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
			var err error
			if c, err = tx.CaseByInvoice(inv); err != nil {
				return err
			}
			a, err = tx.(recoup.ExperimentTx).Assignment("tones", cus)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if c.Arm != a.Arm {
			t.Fatalf("%s: case in arm %q, assignment %q", cus, c.Arm, a.Arm)
		}
		o := optimizeOutcome{arm: a.Arm, share: a.Share}
		for _, e := range h.timeline(c) {
			if !strings.HasPrefix(e.Summary, "in arm ") {
				continue
			}
			o.summary = e.Summary
			var d struct {
				Shares []float64 `json:"optimize_shares"`
			}
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatal(err)
			}
			o.shares = d.Shares
		}
		out[cus] = o
	}
	return out
}

func TestOptimizeKeepsFloorsAndControlShare(t *testing.T) {
	h := newHarness(t, optimizePolicy)
	x := h.eng.Policy().Experiment
	seedOutcomes(t, h, 150)
	var customers []string
	for i := range 150 {
		customers = append(customers, fmt.Sprintf("cus_new_%d", i))
	}
	got := openFor(t, h, "a", customers)
	counts := map[string]int{}
	for _, cus := range customers {
		o := got[cus]
		counts[o.arm]++
		if len(o.shares) != len(x.Arms) {
			t.Fatalf("%s: shares %v in the timeline's detail, want one per arm", cus, o.shares)
		}
		sum := 0.0
		for i, a := range x.Arms {
			s := o.shares[i]
			sum += s
			switch {
			case a.Control && s != 0.4:
				t.Errorf("%s: the control's share is %v, want its weight's 0.4", cus, s)
			case !a.Control && s < 0.1-1e-12:
				t.Errorf("%s: arm %s has share %v, below the floor 0.1", cus, a.Name, s)
			}
			if a.Name == o.arm && s != o.share {
				t.Errorf("%s: recorded share %v, but the draw used %v", cus, o.share, s)
			}
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s: shares %v sum to %v", cus, o.shares, sum)
		}
		// The arm is the one the shares used give the customer's hash.
		if want := x.Assign(cus, o.shares).Name; want != o.arm {
			t.Errorf("%s: in arm %s, but the shares recorded give %s", cus, o.arm, want)
		}
		if !strings.Contains(o.summary, "optimize: the arms' shares are now 40/") ||
			!strings.Contains(o.summary, "(stripe/gentle/firm/late; floor 10% each; the control stripe keeps its 40%), from 450 resolved invoices of the policy arms") {
			t.Errorf("%s: timeline says %q", cus, o.summary)
		}
	}
	// firm recovered everything: it takes nearly all the free 30%, the others keep their floor.
	if counts["firm"] <= counts["gentle"]+counts["late"] {
		t.Errorf("arms of the new customers: %v; want firm's above the others'", counts)
	}
	if o := got[customers[0]]; o.shares[2] < 0.39 || o.shares[1] > 0.11 {
		t.Errorf("shares %v, want firm near 40%% and gentle near its floor", o.shares)
	}

	// The same store contents give the same shares and arms.
	h2 := newHarness(t, optimizePolicy)
	seedOutcomes(t, h2, 150)
	again := openFor(t, h2, "a", customers[:40])
	for _, cus := range customers[:40] {
		if a, b := got[cus], again[cus]; a.arm != b.arm || a.share != b.share || fmt.Sprint(a.shares) != fmt.Sprint(b.shares) {
			t.Errorf("%s: %+v then %+v", cus, a, b)
		}
	}

	// Sticky: after the results turn (gentle recovers 2000 more, firm loses 2000), the customers keep
	// their arms and shares, while new customers follow the new results.
	err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
		for i := range 4000 {
			arm, state := "gentle", recoup.StateRecovered
			if i%2 == 1 {
				arm, state = "firm", recoup.StateExhausted
			}
			c := recoup.Case{InvoiceID: fmt.Sprintf("in_turn_%d", i), CustomerID: fmt.Sprintf("cus_turn_%d", i),
				Amount: recoup.Money{Amount: 2500, Currency: "usd"}, State: state, Category: recoup.CategoryFunds,
				CreatedAt: h.now, UpdatedAt: h.now, ResolvedAt: h.now, Experiment: "tones", Arm: arm}
			if err := tx.CreateCase(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	second := openFor(t, h, "b", customers[:30])
	for _, cus := range customers[:30] {
		if got[cus].arm != second[cus].arm {
			t.Errorf("%s moved from %s to %s", cus, got[cus].arm, second[cus].arm)
		}
		if !strings.Contains(second[cus].summary, "stays in it") || strings.Contains(second[cus].summary, "optimize:") {
			t.Errorf("%s's second case says %q", cus, second[cus].summary)
		}
	}
	var newcomers []string
	for i := range 20 {
		newcomers = append(newcomers, fmt.Sprintf("cus_later_%d", i))
	}
	later := openFor(t, h, "c", newcomers)
	if s := later[newcomers[0]].shares; s[1] < 0.39 {
		t.Errorf("after the results turned to gentle, a new customer's shares are %v; want gentle near 40%%", s)
	}
}

// Arms may differ in their send hour, and the quiet hours still hold after it: a step due at an
// arm's hour goes out at that hour, and one whose hour has passed goes out now unless now is
// quiet, in which case it waits for the morning, whatever the arm.
func TestOptimizedSendHoursKeepQuietHours(t *testing.T) {
	h := newHarness(t, testPolicy+`campaign:
  hour: 9
  quiet_hours: [21, 8]
  steps:
    - {day: 0, template: reminder, tone: gentle}
experiment:
  name: hours
  unit: customer
  optimize: {floor: 20}
  arms:
    - {name: morning, weight: 1}
    - {name: evening, weight: 1, campaign: {hour: 20}}
`)
	day := h.now.Truncate(24 * time.Hour) // 2 Mar 2026, 00:00 UTC; the harness starts at 14:00
	open := func(prefix string) map[string]time.Time {
		out := map[string]time.Time{}
		for i := range 12 {
			inv, cus := fmt.Sprintf("in_%s_%d", prefix, i), fmt.Sprintf("cus_%s_%d", prefix, i)
			h.gw.failRenewal(inv, cus, 2500, insufficient)
			h.ingest("evt_"+inv, "invoice.payment_failed", inv, cus)
		}
		h.runDue()
		for i := range 12 {
			c := h.caseOf(fmt.Sprintf("in_%s_%d", prefix, i))
			for _, m := range h.notes.sent { // sent at once: the step's time had passed
				if m.CaseID == c.ID {
					out[c.Arm+"/"+c.InvoiceID] = h.now
				}
			}
			for _, j := range h.pending() {
				if j.Kind == recoup.JobMessage && j.CaseID == c.ID {
					if _, dup := out[c.Arm+"/"+c.InvoiceID]; dup {
						t.Fatalf("two message jobs for %s", c.InvoiceID)
					}
					out[c.Arm+"/"+c.InvoiceID] = j.RunAt
				}
			}
		}
		return out
	}
	seen := map[string]bool{}
	for key, at := range open("afternoon") { // 14:00 UTC
		arm, _, _ := strings.Cut(key, "/")
		seen[arm] = true
		want := map[string]time.Time{"morning": h.now, "evening": day.Add(20 * time.Hour)}[arm]
		if !at.Equal(want) {
			t.Errorf("%s: message at %s, want %s", key, at, want)
		}
	}
	h.advance(8*time.Hour + 30*time.Minute) // 22:30 UTC: quiet
	for key, at := range open("night") {
		arm, _, _ := strings.Cut(key, "/")
		seen[arm+" at night"] = true
		if want := day.Add(32 * time.Hour); !at.Equal(want) {
			t.Errorf("%s: message at %s, want %s (the end of the quiet hours)", key, at, want)
		}
	}
	if len(seen) != 4 {
		t.Errorf("arms seen: %v; want both arms in the afternoon and at night", seen)
	}
}

// A fixed arm keeps its weight's share whatever its results, like the control, while the
// adapting arms share the rest under their floors.
func TestOptimizeFixedArmKeepsItsShare(t *testing.T) {
	h := newHarness(t, testPolicy+`campaign:
  hour: 9
  steps:
    - {day: 1, template: reminder, tone: gentle}
experiment:
  name: tones
  unit: customer
  optimize: {floor: 5}
  arms:
    - {name: builtin, weight: 1, fixed: true}
    - {name: gentle, weight: 1}
    - name: firm
      weight: 1
      campaign: {steps: [{day: 1, template: reminder, tone: firm}]}
    - name: late
      weight: 1
      campaign: {hour: 17}
`)
	x := h.eng.Policy().Experiment
	seedOutcomes(t, h, 150) // firm recovers everything, gentle and late nothing
	// The fixed arm recovers everything too: its share must not move for it.
	err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
		for i := range 150 {
			c := recoup.Case{InvoiceID: fmt.Sprintf("in_old_builtin_%d", i), CustomerID: fmt.Sprintf("cus_old_builtin_%d", i),
				Amount: recoup.Money{Amount: 2500, Currency: "usd"}, State: recoup.StateRecovered, Category: recoup.CategoryFunds,
				CreatedAt: h.now, UpdatedAt: h.now, ResolvedAt: h.now, Experiment: "tones", Arm: "builtin"}
			if err := tx.CreateCase(&c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var customers []string
	for i := range 60 {
		customers = append(customers, fmt.Sprintf("cus_fixed_%d", i))
	}
	got := openFor(t, h, "f", customers)
	for _, cus := range customers {
		o := got[cus]
		if len(o.shares) != 4 {
			t.Fatalf("%s: shares %v", cus, o.shares)
		}
		if o.shares[0] != 0.25 {
			t.Errorf("%s: the fixed arm's share is %v, want its weight's 0.25", cus, o.shares[0])
		}
		for i, a := range x.Arms[1:] {
			if o.shares[i+1] < 0.05-1e-12 {
				t.Errorf("%s: arm %s below the floor: %v", cus, a.Name, o.shares[i+1])
			}
		}
		// firm takes nearly all of the free 60%: 0.05 + 0.6.
		if o.shares[2] < 0.64 {
			t.Errorf("%s: firm's share %v, want near 0.65", cus, o.shares[2])
		}
		if o.arm == "builtin" && o.share != 0.25 {
			t.Errorf("%s: in the fixed arm with recorded share %v", cus, o.share)
		}
		if !strings.Contains(o.summary, "(builtin/gentle/firm/late; floor 5% each; the fixed arm builtin keeps its 25%), from 450 resolved invoices of the adapting arms") {
			t.Errorf("%s: timeline says %q", cus, o.summary)
		}
	}
}

// Under by: time_zone each group of time zones learns apart: customers in New York's group are
// moved toward the arm that recovers there, customers in Paris's toward the one that recovers
// there, and each assignment records its group.
func TestOptimizeLearnsPerTimeZone(t *testing.T) {
	h := newHarness(t, testPolicy+`campaign:
  hour: 9
  quiet_hours: [21, 8]
  steps:
    - {day: 0, template: reminder, tone: gentle}
experiment:
  name: hours
  unit: customer
  optimize: {floor: 10, by: time_zone}
  arms:
    - {name: morning, weight: 1}
    - {name: evening, weight: 1, campaign: {hour: 19}}
`)
	// 150 earlier customers per group and arm: in UTC-05:00 the morning arm recovers them all,
	// in UTC+01:00 the evening arm.
	err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
		et := tx.(recoup.ExperimentTx)
		n := 0
		for _, stratum := range []string{"UTC-05:00", "UTC+01:00"} {
			for _, arm := range []string{"morning", "evening"} {
				state := recoup.StateExhausted
				if stratum == "UTC-05:00" && arm == "morning" || stratum == "UTC+01:00" && arm == "evening" {
					state = recoup.StateRecovered
				}
				for range 150 {
					n++
					cus := fmt.Sprintf("cus_old_%d", n)
					if err := et.InsertAssignment(&recoup.Assignment{Experiment: "hours", CustomerID: cus, Arm: arm, Share: 0.5, AssignedAt: h.now, Stratum: stratum}); err != nil {
						return err
					}
					c := recoup.Case{InvoiceID: fmt.Sprintf("in_old_%d", n), CustomerID: cus,
						Amount: recoup.Money{Amount: 2500, Currency: "usd"}, State: state, Category: recoup.CategoryFunds,
						CreatedAt: h.now, UpdatedAt: h.now, ResolvedAt: h.now, Experiment: "hours", Arm: arm}
					if err := tx.CreateCase(&c); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		country, stratum string
		best             int // index of the arm that should get most of the free share
	}{
		{"US", "UTC-05:00", 0},
		{"FR", "UTC+01:00", 1},
		{"JP", "UTC+09:00", -1}, // no results yet in Tokyo's group: the arms are alike
	} {
		for i := range 5 {
			inv, cus := fmt.Sprintf("in_%s_%d", tc.country, i), fmt.Sprintf("cus_%s_%d", tc.country, i)
			h.gw.failRenewal(inv, cus, 2500, insufficient)
			h.gw.inCountry(inv, tc.country)
			h.ingest("evt_"+inv, "invoice.payment_failed", inv, cus)
		}
		h.runDue()
		for i := range 5 {
			inv, cus := fmt.Sprintf("in_%s_%d", tc.country, i), fmt.Sprintf("cus_%s_%d", tc.country, i)
			c := h.caseOf(inv)
			var a recoup.Assignment
			err := h.store.Tx(h.ctx, func(tx recoup.Tx) error {
				var err error
				a, err = tx.(recoup.ExperimentTx).Assignment("hours", cus)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if a.Stratum != tc.stratum {
				t.Errorf("%s in %s: stratum %q, want %q", cus, tc.country, a.Stratum, tc.stratum)
			}
			var shares []float64
			for _, e := range h.timeline(c) {
				if strings.HasPrefix(e.Summary, "in arm ") {
					var d struct {
						Shares  []float64 `json:"optimize_shares"`
						Stratum string    `json:"optimize_stratum"`
					}
					if err := json.Unmarshal(e.Detail, &d); err != nil {
						t.Fatal(err)
					}
					shares = d.Shares
					if d.Stratum != tc.stratum || !strings.Contains(e.Summary, "in time zones at "+tc.stratum) {
						t.Errorf("%s: timeline %q, detail stratum %q", cus, e.Summary, d.Stratum)
					}
				}
			}
			switch {
			case len(shares) != 2:
				t.Fatalf("%s: shares %v", cus, shares)
			case tc.best >= 0 && shares[tc.best] < 0.85:
				t.Errorf("%s in %s: shares %v, want arm %d near 90%%", cus, tc.country, shares, tc.best)
			case tc.best < 0 && (shares[0] < 0.3 || shares[1] < 0.3):
				t.Errorf("%s in %s (no results in the group): shares %v, want both near 50%%", cus, tc.country, shares)
			}
		}
	}
}
