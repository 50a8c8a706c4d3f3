// Package expreport is an experiment's report as the operator reads it: the customers of the
// experiment, read from the store (recoup.ExperimentResults), folded into the units of the
// statistics (package experiment), with the customers still in progress counted apart, and the
// uplift over time for the chart. Assemble is pure; Build reads the store.
package expreport

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/experiment"
	"github.com/recoup-hq/recoup/policy"
)

// PathPoints is how many points the uplift over time has at most.
const PathPoints = 40

// Setup is what the policy file says of the experiment's arms.
type Setup struct {
	// Arms are the arms in the file's order; nil when the policy in force has no experiment
	// of this name (an earlier experiment): the arms are then read from the store, in the
	// order their first customers were assigned.
	Arms []string
	// Control is the arm left to Stripe (stripe: true); "" when there is none, and the first
	// arm is then the baseline.
	Control string
	// Fixed is the first arm of the policy with fixed: true under optimize, Adapting the arms
	// whose shares optimize adapts, and PoolShare their share together (1 minus the control's
	// and the fixed arms'): with a fixed arm, the report also compares the adapting arms
	// pooled with it. "" / nil without optimize or without a fixed arm.
	Fixed     string
	Adapting  []string
	PoolShare float64
}

// SetupOf returns what the policy says of the experiment name.
func SetupOf(p *policy.Policy, name string) Setup {
	if p == nil || p.Experiment == nil || p.Experiment.Name != name {
		return Setup{}
	}
	var s Setup
	for _, a := range p.Experiment.Arms {
		s.Arms = append(s.Arms, a.Name)
		if a.Control {
			s.Control = a.Name
		}
	}
	if x := p.Experiment; x.Optimize != nil {
		for _, a := range x.Arms {
			switch {
			case a.Fixed && s.Fixed == "":
				s.Fixed = a.Name
			case a.Adapts():
				s.Adapting = append(s.Adapting, a.Name)
			}
		}
		s.PoolShare = 1 - x.FixedShare()
		if s.Fixed == "" || len(s.Adapting) == 0 || !(s.PoolShare > 0) {
			s.Fixed, s.Adapting, s.PoolShare = "", nil, 0
		}
	}
	return s
}

// PooledArm names the adapting arms pooled in the comparison with the fixed arm; arm names
// are lower-case, so it meets none.
const PooledArm = "Optimized"

// Options choose what a report shows.
type Options struct {
	// Currency is the currency to report on; "" means the only one the experiment's cases
	// have. Amounts of different currencies are never added up.
	Currency string
}

// Arm is one arm's figures. Amounts are in minor units of the report's currency.
type Arm struct {
	Name string `json:"name"`
	// Control marks the arm left to Stripe; Baseline the arm the uplift is measured against
	// (the control, or the first arm when there is none).
	Control  bool `json:"control"`
	Baseline bool `json:"baseline"`

	Customers         int     `json:"customers"`
	Invoices          int     `json:"invoices"`
	Failed            int64   `json:"failed_amount"`
	Recovered         int64   `json:"recovered_amount"`
	RecoveredPct      float64 `json:"recovered_amount_pct"`
	RecoveredInvoices int     `json:"recovered_invoices"`
	MedianDays        float64 `json:"median_days_to_recovery"`
	Attempts          int     `json:"attempts"`
	Messages          int     `json:"messages"`
	Lost              int     `json:"customers_lost"`
	// Recovery is the recovered amount in percent with its intervals (weighted by 1/share);
	// Ready false while the arm has too few customers for one.
	Recovery Interval `json:"recovery"`
}

// Interval is an estimate with its two intervals at level 1-alpha.
type Interval struct {
	Value float64 `json:"value"`
	Ready bool    `json:"ready"`
	// Low and High are the confidence sequence's bounds, valid however often it is read.
	Low  float64 `json:"ci_low"`
	High float64 `json:"ci_high"`
	// FixedLow and FixedHigh are the classical interval's, valid only for one look at a size
	// fixed in advance.
	FixedLow  float64 `json:"fixed_ci_low"`
	FixedHigh float64 `json:"fixed_ci_high"`
}

func interval(e experiment.Estimate) Interval {
	return Interval{Value: e.Value, Ready: e.Ready, Low: e.Sequential.Low, High: e.Sequential.High, FixedLow: e.Fixed.Low, FixedHigh: e.Fixed.High}
}

// Uplift is the treatment's recovery minus the baseline's, in percentage points of the failed
// amount.
type Uplift struct {
	Treatment string `json:"treatment"`
	Baseline  string `json:"baseline"`
	Interval
	Verdict string `json:"verdict"`
	// Needed says in words how many more invoices a verdict still needs ("" once reached).
	Needed         string `json:"needed"`
	NeededInvoices int64  `json:"needed_invoices"`
}

// Point is the uplift as it stood after the first Customers customers, for the chart.
type Point struct {
	Customers int `json:"customers"`
	Invoices  int `json:"invoices"`
	Interval
}

// Report is an experiment's results in one currency.
type Report struct {
	Experiment recoup.Experiment `json:"experiment"`
	Currency   string            `json:"currency"`
	// Currencies lists every currency the experiment's cases have.
	Currencies []string `json:"currencies"`
	Alpha      float64  `json:"alpha"`
	// Customers and Invoices are those the figures count: every customer assigned before the
	// first customer still in progress (all of them resolved).
	Customers int `json:"customers"`
	Invoices  int `json:"invoices"`
	// InProgress counts the customers with a case still open; Waiting the customers resolved
	// but assigned after the first customer in progress, kept out of the figures so that an
	// arm whose cases close sooner is not over-represented. CutOff is the assignment time of
	// the first customer in progress (zero when none is), OldestCase that customer's oldest
	// open case.
	InProgress int       `json:"in_progress"`
	Waiting    int       `json:"waiting"`
	CutOff     time.Time `json:"cut_off,omitzero"`
	OldestCase int64     `json:"oldest_open_case,omitempty"`
	Arms       []Arm     `json:"arms"`
	Uplift     *Uplift   `json:"uplift,omitempty"`
	// Optimized is, under optimize with a fixed arm, the adapting arms pooled (Treatment
	// PooledArm, share fixed at Setup.PoolShare) minus the fixed arm (docs/experiments.md,
	// "Optimized against a fixed arm"); Adapting names the arms pooled.
	Optimized *Uplift  `json:"optimized,omitempty"`
	Adapting  []string `json:"adapting_arms,omitempty"`
	Path      []Point  `json:"path"`
	// AttemptsNote says what the attempts count, arm by arm.
	AttemptsNote string `json:"attempts_note"`
}

// Build reads the experiment's cases from the store and assembles its report.
func Build(ctx context.Context, store recoup.ExperimentResults, name string, setup Setup, opts Options) (*Report, error) {
	e, cases, err := store.ExperimentCases(ctx, name)
	if err != nil {
		return nil, err
	}
	return Assemble(e, cases, setup, opts)
}

// customer is one customer's cases in the report's currency, summed.
type customer struct {
	unit       experiment.Unit
	assignedAt time.Time
	resolved   bool
	oldestOpen int64
}

// Assemble turns the experiment's cases (in assignment order, as ExperimentCases returns
// them) into its report.
func Assemble(e recoup.Experiment, cases []recoup.ExperimentCase, setup Setup, opts Options) (*Report, error) {
	r := &Report{Experiment: e, Arms: []Arm{}, Path: []Point{}}
	for _, c := range cases {
		if !slices.Contains(r.Currencies, c.Amount.Currency) {
			r.Currencies = append(r.Currencies, c.Amount.Currency)
		}
	}
	slices.Sort(r.Currencies)
	switch {
	case opts.Currency != "":
		r.Currency = strings.ToLower(opts.Currency)
	case len(r.Currencies) == 1:
		r.Currency = r.Currencies[0]
	case len(r.Currencies) > 1:
		return nil, recoup.Errorf(recoup.EINVALID, "experiment %s has cases in %d currencies (%s): amounts of different currencies are not added up, so choose one",
			e.Name, len(r.Currencies), strings.Join(r.Currencies, ", "))
	}
	if r.Currency != "" && len(r.Currencies) > 0 && !slices.Contains(r.Currencies, r.Currency) {
		return nil, recoup.Errorf(recoup.EINVALID, "experiment %s has no case in %s: its currencies are %s", e.Name, r.Currency, strings.Join(r.Currencies, ", "))
	}

	arms := slices.Clone(setup.Arms)
	var customers []*customer
	byID := map[string]*customer{}
	for _, c := range cases {
		if !slices.Contains(arms, c.Arm) {
			arms = append(arms, c.Arm)
		}
		if c.Amount.Currency != r.Currency {
			continue
		}
		cu := byID[c.CustomerID]
		if cu == nil {
			cu = &customer{unit: experiment.Unit{Arm: c.Arm, Share: c.Share, Order: int64(len(customers))}, assignedAt: c.AssignedAt, resolved: true}
			byID[c.CustomerID] = cu
			customers = append(customers, cu)
		}
		u := &cu.unit
		u.Invoices++
		u.Failed += c.Amount.Amount
		if c.Arm == setup.Control {
			u.Attempts += max(c.StripeAttempts-1, 0)
		} else {
			u.Attempts += c.Attempts
		}
		u.Messages += c.Messages
		if c.State == recoup.StateRecovered {
			u.Recovered += c.Amount.Amount
			u.RecoveredInvoices++
			u.DaysToRecovery = append(u.DaysToRecovery, c.ResolvedAt.Sub(c.FirstFailedAt).Hours()/24)
		}
		if c.Lost() {
			u.Lost = 1
		}
		if !c.Resolved() {
			if cu.resolved {
				cu.oldestOpen = c.CaseID
			}
			cu.resolved = false
		}
	}
	baseline := setup.Control
	if baseline == "" && len(arms) > 0 {
		baseline = arms[0]
	}
	r.AttemptsNote = "Attempts are recoup's charges after the first failure"
	if setup.Control != "" {
		r.AttemptsNote = fmt.Sprintf("Attempts are recoup's charges after the first failure; in the control arm %s, Stripe's own retries (the invoice's attempt count as last seen, less the first failure); messages are recoup's only (Stripe's own emails are not seen)", setup.Control)
	}

	// The units: every customer assigned before the first one still in progress.
	var units []experiment.Unit
	for _, cu := range customers {
		switch {
		case !cu.resolved:
			r.InProgress++
			if r.CutOff.IsZero() {
				r.CutOff, r.OldestCase = cu.assignedAt, cu.oldestOpen
			}
		case !r.CutOff.IsZero():
			r.Waiting++
		default:
			units = append(units, cu.unit)
		}
	}
	r.Customers = len(units)
	if len(arms) == 0 || baseline == "" {
		return r, nil
	}
	cfg := experiment.Config{Control: baseline, Arms: arms}
	rep, err := experiment.Compute(units, cfg)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", e.Name, err)
	}
	r.Alpha, r.Invoices = rep.Alpha, rep.Invoices
	for _, name := range arms {
		a := Arm{Name: name, Control: name == setup.Control, Baseline: name == baseline}
		for _, ar := range rep.Arms {
			if ar.Name != name {
				continue
			}
			f := ar.ArmFigures
			a.Customers, a.Invoices, a.Failed, a.Recovered, a.RecoveredPct = f.Customers, f.Invoices, f.Failed, f.Recovered, f.RecoveredPct
			a.RecoveredInvoices, a.MedianDays, a.Attempts, a.Messages, a.Lost = f.RecoveredInvoices, f.MedianDaysToRecovery, f.Attempts, f.Messages, f.CustomersLost
			a.Recovery = interval(ar.Recovery)
		}
		r.Arms = append(r.Arms, a)
	}
	if len(arms) >= 2 {
		up := rep.Uplift
		r.Uplift = &Uplift{Treatment: up.Treatment, Baseline: up.Control, Interval: interval(up.Estimate), Verdict: verdictWords(up, setup.Control != ""),
			Needed: up.Needed.Words(), NeededInvoices: up.Needed.Invoices}
		if len(units) > 0 {
			path, err := experiment.Path(units, cfg, PathPoints)
			if err != nil {
				return nil, fmt.Errorf("experiment %s: %w", e.Name, err)
			}
			for _, p := range path {
				r.Path = append(r.Path, Point{Customers: p.Customers, Invoices: p.Invoices, Interval: interval(p.Uplift.Estimate)})
			}
		}
	}
	if setup.Fixed != "" {
		var pooled []experiment.Unit
		for _, u := range units {
			switch {
			case slices.Contains(setup.Adapting, u.Arm):
				u.Arm, u.Share = PooledArm, setup.PoolShare
			case u.Arm != setup.Fixed:
				continue
			}
			pooled = append(pooled, u)
		}
		rep, err := experiment.Compute(pooled, experiment.Config{Control: setup.Fixed, Treatment: PooledArm, Arms: []string{setup.Fixed, PooledArm}})
		if err != nil {
			return nil, fmt.Errorf("experiment %s, the adapting arms against %s: %w", e.Name, setup.Fixed, err)
		}
		up := rep.Uplift
		r.Adapting = setup.Adapting
		r.Optimized = &Uplift{Treatment: PooledArm, Baseline: setup.Fixed, Interval: interval(up.Estimate),
			Verdict: optimizedWords(up, setup.Adapting), Needed: up.Needed.Words(), NeededInvoices: up.Needed.Invoices}
	}
	return r, nil
}

// optimizedWords says the verdict of the adapting arms pooled against the fixed arm.
func optimizedWords(up experiment.Uplift, adapting []string) string {
	pool := "the adapting arms together (" + strings.Join(adapting, ", ") + ")"
	switch {
	case !up.Ready:
		return "no verdict yet: too few resolved customers for an interval"
	case up.Verdict == experiment.VerdictAhead:
		return fmt.Sprintf("%s recover more than the fixed arm %s", pool, up.Control)
	case up.Verdict == experiment.VerdictBehind:
		return fmt.Sprintf("the fixed arm %s recovers more than %s", up.Control, pool)
	}
	return fmt.Sprintf("no difference detected yet between %s and the fixed arm %s", pool, up.Control)
}

// verdictWords says the verdict with the arms' names.
func verdictWords(up experiment.Uplift, stripe bool) string {
	base := "arm " + up.Control
	if stripe {
		base = "the control " + up.Control + " (Stripe's own recovery)"
	}
	switch up.Verdict {
	case experiment.VerdictAhead:
		return fmt.Sprintf("arm %s recovers more than %s", up.Treatment, base)
	case experiment.VerdictBehind:
		return fmt.Sprintf("%s recovers more than arm %s", capitalize(base), up.Treatment)
	}
	if !up.Ready {
		return "no verdict yet: too few resolved customers in each arm for an interval"
	}
	return fmt.Sprintf("no difference detected yet between arm %s and %s", up.Treatment, base)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
