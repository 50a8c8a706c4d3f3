package sim

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/experiment"
	"github.com/recoup-hq/recoup/memstore"
	"github.com/recoup-hq/recoup/policy"
)

// ExperimentResult is the experiment block of a run's summary: the policy's experiment measured
// on the world's own outcomes, with the statistics of package experiment. docs/simulator.md
// ("Experiments") defines each field.
type ExperimentResult struct {
	Name string `json:"name"`
	// Control is the arm the uplift is measured against: the `stripe` arm, or the first arm
	// when no arm is left to Stripe (an A/A experiment). StripeControl says which.
	Control       string `json:"control"`
	StripeControl bool   `json:"stripe_control"`
	// Treatment is the first other arm, in the policy file's order.
	Treatment string `json:"treatment"`
	Customers int    `json:"customers"`
	Invoices  int    `json:"invoices"`
	// InvoicesWithoutArm counts the run's failed invoices that are in no arm (no case opened,
	// or no customer): they are not in the experiment's figures. Should be 0.
	InvoicesWithoutArm int             `json:"invoices_without_arm"`
	Arms               []ExperimentArm `json:"arms"`
	// UpliftPP is the treatment's recovered amount % minus the control's, in percentage
	// points; UpliftCILow/High its confidence sequence (valid however often looked at), and
	// UpliftFixedCILow/High the fixed-n interval (valid looked at once). The intervals are null
	// until each of the two arms has 20 customers.
	UpliftPP         float64  `json:"uplift_pp"`
	UpliftCILow      *float64 `json:"uplift_ci_low"`
	UpliftCIHigh     *float64 `json:"uplift_ci_high"`
	UpliftFixedCILow *float64 `json:"uplift_fixed_ci_low"`
	UpliftFixedCIHi  *float64 `json:"uplift_fixed_ci_high"`
	// Verdict reads the confidence sequence at the end of the run.
	Verdict string `json:"verdict"`
	// InvoicesStillNeeded projects how many more invoices a verdict needs (0 once reached);
	// StillNeeded says it in words.
	InvoicesStillNeeded int64  `json:"invoices_still_needed"`
	StillNeeded         string `json:"still_needed,omitempty"`
	// Peeks counts the daily looks at which the intervals were given: at the end of each
	// simulated day, the customers assigned by then, with their final outcomes.
	// ExcludedZeroAtAnyPeek: the confidence sequence excluded 0 at one of them at least;
	// FixedExcludedZeroAtAnyPeek: the fixed-n interval did.
	Peeks                      int  `json:"peeks"`
	ExcludedZeroAtAnyPeek      bool `json:"excluded_zero_at_any_peek"`
	FixedExcludedZeroAtAnyPeek bool `json:"fixed_excluded_zero_at_any_peek"`
	// Optimized compares, under optimize with a fixed policy arm, the adapting arms together
	// with the fixed arm; nil otherwise.
	Optimized *OptimizedResult `json:"optimized,omitempty"`
}

// OptimizedResult is the campaign that learns measured against a fixed arm in the same run:
// the adapting arms of optimize pooled into one arm, whose share (1 minus the control's and the
// fixed arms' shares) never changes, against the first fixed arm, whose share never changes
// either. Both shares being fixed, the uplift and its confidence sequence are those of a plain
// two-arm comparison, however the adapting arms' shares moved inside the pool
// (docs/experiments.md, "Optimized against a fixed arm").
type OptimizedResult struct {
	// Baseline is the fixed arm; Arms the adapting arms pooled.
	Baseline string   `json:"baseline"`
	Arms     []string `json:"arms"`
	// Share is the pooled arms' share of all customers.
	Share              float64 `json:"share"`
	Customers          int     `json:"customers"` // in the pool
	BaselineCustomers  int     `json:"baseline_customers"`
	RecoveredAmountPct float64 `json:"recovered_amount_pct"` // the pool's
	BaselinePct        float64 `json:"baseline_recovered_amount_pct"`
	// UpliftPP is the pool's recovered amount % minus the baseline's; the intervals as in
	// ExperimentResult.
	UpliftPP              float64  `json:"uplift_pp"`
	UpliftCILow           *float64 `json:"uplift_ci_low"`
	UpliftCIHigh          *float64 `json:"uplift_ci_high"`
	UpliftFixedCILow      *float64 `json:"uplift_fixed_ci_low"`
	UpliftFixedCIHi       *float64 `json:"uplift_fixed_ci_high"`
	Verdict               string   `json:"verdict"`
	ExcludedZeroAtAnyPeek bool     `json:"excluded_zero_at_any_peek"`
	// ArmCustomers counts the customers each adapting arm got, in Arms' order.
	ArmCustomers []int `json:"arm_customers"`
}

// pooledArm names the adapting arms pooled; arm names are lower-case, so it meets none.
const pooledArm = "Optimized"

// ExperimentArm is one arm's figures. Amounts are in major units of the run's currency;
// Attempts and Messages are recoup's (Stripe's own retries and emails are not counted here).
type ExperimentArm struct {
	Name               string   `json:"name"`
	Customers          int      `json:"customers"`
	Invoices           int      `json:"invoices"`
	FailedAmount       float64  `json:"failed_amount"`
	RecoveredAmount    float64  `json:"recovered_amount"`
	RecoveredInvoices  int      `json:"recovered_invoices"`
	RecoveredAmountPct float64  `json:"recovered_amount_pct"`
	CILow              *float64 `json:"ci_low"`
	CIHigh             *float64 `json:"ci_high"`
	FixedCILow         *float64 `json:"fixed_ci_low"`
	FixedCIHigh        *float64 `json:"fixed_ci_high"`
	MedianDays         float64  `json:"median_days_to_recovery"`
	Attempts           int      `json:"attempts"`
	Messages           int      `json:"messages"`
	CustomersLost      int      `json:"customers_lost"`
}

// hasStripeControl reports whether the policy's experiment leaves an arm to Stripe: the world
// must then play Stripe's own recovery, which the merchant keeps on for the control.
func hasStripeControl(p *policy.Policy) bool {
	if p == nil || p.Experiment == nil {
		return false
	}
	return slices.ContainsFunc(p.Experiment.Arms, func(a policy.Arm) bool { return a.Control })
}

// shardUnit is one customer of the experiment in one shard, before the shards are merged.
type shardUnit struct {
	experiment.Unit
	at    time.Time // when the customer was assigned
	shard int
	seq   int64 // the assignment's row in the shard's store: its order among equal times
}

// assignedRow is a customer's assignment as a shard's store holds it, with its place among
// the assignments (seq: their order among equal times).
type assignedRow struct {
	recoup.Assignment
	seq int64
}

// armedCase is a case of the experiment: its invoice, customer and arm.
type armedCase struct {
	invoice, customer, arm string
}

// experimentRows are what a shard's store holds of the experiment at the end of the run: the
// assignments in the order they were made (by time, then seq) and the cases that carry the
// experiment, by invoice ID.
type experimentRows struct {
	assignments []assignedRow
	cases       []armedCase
}

// sqliteExperimentRows reads the experiment's rows from a shard's SQLite database.
func sqliteExperimentRows(ctx context.Context, db *sql.DB, name string) (experimentRows, error) {
	var x experimentRows
	rows, err := db.QueryContext(ctx, `SELECT rowid, customer_id, arm, share, assigned_at FROM experiment_assignments
		WHERE experiment = ? ORDER BY assigned_at, rowid`, name)
	if err != nil {
		return x, fmt.Errorf("experiment %s: read the assignments: %w", name, err)
	}
	for rows.Next() {
		a := assignedRow{Assignment: recoup.Assignment{Experiment: name}}
		var at int64
		if err := rows.Scan(&a.seq, &a.CustomerID, &a.Arm, &a.Share, &at); err != nil {
			rows.Close()
			return x, fmt.Errorf("experiment %s: read the assignments: %w", name, err)
		}
		a.AssignedAt = time.UnixMicro(at).UTC()
		x.assignments = append(x.assignments, a)
	}
	if err := rows.Close(); err != nil {
		return x, err
	}
	rows, err = db.QueryContext(ctx, `SELECT invoice_id, customer_id, arm FROM cases WHERE experiment = ? ORDER BY invoice_id`, name)
	if err != nil {
		return x, fmt.Errorf("experiment %s: read the cases: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c armedCase
		if err := rows.Scan(&c.invoice, &c.customer, &c.arm); err != nil {
			return x, fmt.Errorf("experiment %s: read the cases: %w", name, err)
		}
		x.cases = append(x.cases, c)
	}
	return x, rows.Err()
}

// memoryExperimentRows reads the experiment's rows from a shard's memory store.
func memoryExperimentRows(st *memstore.Store, name string) experimentRows {
	var x experimentRows
	for i, a := range st.Assignments(name) {
		x.assignments = append(x.assignments, assignedRow{Assignment: a, seq: int64(i) + 1})
	}
	slices.SortStableFunc(x.assignments, func(a, b assignedRow) int { return a.AssignedAt.Compare(b.AssignedAt) })
	for _, c := range st.CasesInExperiment(name) {
		x.cases = append(x.cases, armedCase{invoice: c.InvoiceID, customer: c.CustomerID, arm: c.Arm})
	}
	slices.SortFunc(x.cases, func(a, b armedCase) int { return strings.Compare(a.invoice, b.invoice) })
	return x
}

// shardUnits joins, for one shard, the world's outcome of every invoice (the tally's settled
// invoices) with the arm of its case and the customer's assignment, as the shard's store holds
// them at the end of the run (x): one unit per customer. It also returns how many settled
// invoices are in no arm.
func shardUnits(name string, x experimentRows, t *tally, shard int) ([]shardUnit, int, error) {
	units := make([]shardUnit, 0, len(x.assignments))
	byCustomer := map[string]int{}
	for _, a := range x.assignments {
		u := shardUnit{at: a.AssignedAt, shard: shard, seq: a.seq}
		u.Arm, u.Share = a.Arm, a.Share
		byCustomer[a.CustomerID] = len(units)
		units = append(units, u)
	}
	days := make([][]float64, len(units))
	inArm := 0
	for _, c := range x.cases {
		invoice, customer, arm := c.invoice, c.customer, c.arm
		i, ok := byCustomer[customer]
		switch {
		case !ok:
			return nil, 0, fmt.Errorf("experiment %s: the case of invoice %s is in arm %s, but customer %s has no assignment", name, invoice, arm, customer)
		case units[i].Arm != arm:
			return nil, 0, fmt.Errorf("experiment %s: the case of invoice %s is in arm %s, its customer %s in arm %s", name, invoice, arm, customer, units[i].Arm)
		}
		inv := t.settled[invoice]
		if inv == nil {
			return nil, 0, fmt.Errorf("experiment %s: the case of invoice %s has no outcome in the world", name, invoice)
		}
		inArm++
		u := &units[i].Unit
		u.Invoices++
		u.Failed += inv.f.Amount.Amount
		u.Attempts += inv.attempts
		u.Messages += inv.messages
		switch o := inv.outcome; o.Result {
		case Recovered:
			u.Recovered += o.Amount
			u.RecoveredInvoices++
			days[i] = append(days[i], max(o.At.Sub(inv.f.At), 0).Hours()/24)
		case Lost:
			u.Lost = 1
		}
	}
	out := units[:0]
	for i, u := range units {
		if u.Invoices == 0 {
			continue // assigned, but no case recorded its arm: nothing to measure
		}
		u.DaysToRecovery = days[i]
		out = append(out, u)
	}
	return out, len(t.settled) - inArm, nil
}

// measureExperiment computes the experiment block from the units of every shard. Customers of
// different shards are different customers (each shard is its own world), whatever their ids.
func measureExperiment(x *policy.Experiment, shards [][]shardUnit, outside int, start time.Time, major func(int64) float64) (*ExperimentResult, error) {
	var all []shardUnit
	for _, s := range shards {
		all = append(all, s...)
	}
	slices.SortStableFunc(all, func(a, b shardUnit) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.shard, b.shard), cmp.Compare(a.seq, b.seq))
	})
	units := make([]experiment.Unit, len(all))
	for i := range all {
		all[i].Order = int64(i)
		units[i] = all[i].Unit
	}
	cfg := experiment.Config{Control: x.Arms[0].Name}
	for _, a := range x.Arms {
		cfg.Arms = append(cfg.Arms, a.Name)
	}
	stripe := false
	for _, a := range x.Arms {
		if a.Control {
			cfg.Control, stripe = a.Name, true
			break
		}
	}
	res := &ExperimentResult{Name: x.Name, Control: cfg.Control, StripeControl: stripe, InvoicesWithoutArm: outside}
	if len(units) == 0 {
		res.Verdict = string(experiment.VerdictUndecided)
		return res, nil
	}
	rep, err := experiment.Compute(units, cfg)
	if err != nil {
		return nil, fmt.Errorf("experiment %s: %w", x.Name, err)
	}
	up := rep.Uplift
	res.Treatment, res.Customers, res.Invoices = up.Treatment, rep.Customers, rep.Invoices
	res.UpliftPP, res.Verdict = round(up.Value, 3), string(up.Verdict)
	if up.Ready {
		res.UpliftCILow, res.UpliftCIHigh = ptr(up.Sequential.Low), ptr(up.Sequential.High)
		res.UpliftFixedCILow, res.UpliftFixedCIHi = ptr(up.Fixed.Low), ptr(up.Fixed.High)
	}
	if !up.Needed.Beyond {
		res.InvoicesStillNeeded = up.Needed.Invoices
	}
	res.StillNeeded = up.Needed.Words()
	for _, a := range rep.Arms {
		arm := ExperimentArm{Name: a.Name, Customers: a.Customers, Invoices: a.Invoices,
			FailedAmount: major(a.Failed), RecoveredAmount: major(a.Recovered), RecoveredInvoices: a.RecoveredInvoices,
			RecoveredAmountPct: round(a.Recovery.Value, 3), MedianDays: round(a.MedianDaysToRecovery, 2),
			Attempts: a.Attempts, Messages: a.Messages, CustomersLost: a.CustomersLost}
		if a.Recovery.Ready {
			arm.CILow, arm.CIHigh = ptr(a.Recovery.Sequential.Low), ptr(a.Recovery.Sequential.High)
			arm.FixedCILow, arm.FixedCIHigh = ptr(a.Recovery.Fixed.Low), ptr(a.Recovery.Fixed.High)
		}
		res.Arms = append(res.Arms, arm)
	}
	res.Peeks, res.ExcludedZeroAtAnyPeek, res.FixedExcludedZeroAtAnyPeek, err = dailyPeeks(all, cfg, start)
	if err != nil {
		return nil, err
	}
	res.Optimized, err = measureOptimized(x, all, start)
	return res, err
}

// measureOptimized compares the adapting arms, pooled, with the first fixed arm; nil when the
// experiment has no optimize or no fixed arm. units are in assignment order.
func measureOptimized(x *policy.Experiment, units []shardUnit, start time.Time) (*OptimizedResult, error) {
	if x.Optimize == nil {
		return nil, nil
	}
	i := slices.IndexFunc(x.Arms, func(a policy.Arm) bool { return a.Fixed })
	if i < 0 {
		return nil, nil
	}
	base := x.Arms[i]
	out := &OptimizedResult{Baseline: base.Name, Share: round(1-x.FixedShare(), 6)}
	index := map[string]int{}
	for _, a := range x.Arms {
		if a.Adapts() {
			index[a.Name] = len(out.Arms)
			out.Arms = append(out.Arms, a.Name)
		}
	}
	out.ArmCustomers = make([]int, len(out.Arms))
	var pooled []shardUnit
	for _, u := range units {
		switch k, ok := index[u.Arm]; {
		case ok:
			out.ArmCustomers[k]++
			u.Arm, u.Share = pooledArm, 1-x.FixedShare()
		case u.Arm != base.Name:
			continue
		}
		pooled = append(pooled, u)
	}
	cfg := experiment.Config{Control: base.Name, Treatment: pooledArm, Arms: []string{base.Name, pooledArm}}
	flat := make([]experiment.Unit, len(pooled))
	for i := range pooled {
		flat[i] = pooled[i].Unit
	}
	if len(flat) == 0 {
		out.Verdict = string(experiment.VerdictUndecided)
		return out, nil
	}
	rep, err := experiment.Compute(flat, cfg)
	if err != nil {
		return nil, fmt.Errorf("experiment %s, adapting arms against %s: %w", x.Name, base.Name, err)
	}
	up := rep.Uplift
	out.UpliftPP, out.Verdict = round(up.Value, 3), string(up.Verdict)
	if up.Ready {
		out.UpliftCILow, out.UpliftCIHigh = ptr(up.Sequential.Low), ptr(up.Sequential.High)
		out.UpliftFixedCILow, out.UpliftFixedCIHi = ptr(up.Fixed.Low), ptr(up.Fixed.High)
	}
	for _, a := range rep.Arms {
		switch a.Name {
		case pooledArm:
			out.Customers, out.RecoveredAmountPct = a.Customers, round(a.Recovery.Value, 3)
		case base.Name:
			out.BaselineCustomers, out.BaselinePct = a.Customers, round(a.Recovery.Value, 3)
		}
	}
	_, out.ExcludedZeroAtAnyPeek, _, err = dailyPeeks(pooled, cfg, start)
	return out, err
}

// dailyPeeks looks at the uplift at the end of every simulated day from start, with the
// customers assigned by then and their final outcomes (an idealization: a merchant looking that
// day would not yet know the outcome of the cases still open), until the last assignment. It
// returns the looks at which the intervals were given, and whether the confidence sequence, and
// the fixed-n interval, excluded 0 at any of them.
func dailyPeeks(units []shardUnit, cfg experiment.Config, start time.Time) (peeks int, seq, fixed bool, err error) {
	m, err := experiment.NewMonitor(cfg)
	if err != nil {
		return 0, false, false, err
	}
	excludes := func(i experiment.Interval) bool { return i.Low > 0 || i.High < 0 }
	next := 0
	for day := start.Add(24 * time.Hour); next < len(units); day = day.Add(24 * time.Hour) {
		for next < len(units) && units[next].at.Before(day) {
			if err := m.Add(units[next].Unit); err != nil {
				return 0, false, false, err
			}
			next++
		}
		up := m.Uplift()
		if !up.Ready {
			continue
		}
		peeks++
		seq = seq || excludes(up.Sequential)
		fixed = fixed || excludes(up.Fixed)
	}
	return peeks, seq, fixed, nil
}

func ptr(x float64) *float64 {
	v := round(x, 3)
	return &v
}

// ExperimentWords says the experiment block in one sentence, for people.
func ExperimentWords(x ExperimentResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "experiment %s:", x.Name)
	for i, a := range x.Arms {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %s recovered %s%% of the amount of %s invoices", a.Name, num(a.RecoveredAmountPct, 1), num(float64(a.Invoices), 0))
	}
	fmt.Fprintf(&b, "; %s minus %s: %s pp", x.Treatment, x.Control, signed(x.UpliftPP, 1))
	if x.UpliftCILow != nil {
		fmt.Fprintf(&b, " (95%% interval valid under continuous monitoring %s to %s; fixed-n %s to %s)",
			signed(*x.UpliftCILow, 1), signed(*x.UpliftCIHigh, 1), signed(*x.UpliftFixedCILow, 1), signed(*x.UpliftFixedCIHi, 1))
	}
	fmt.Fprintf(&b, ": %s", x.Verdict)
	if x.StillNeeded != "" {
		fmt.Fprintf(&b, " (%s)", x.StillNeeded)
	}
	if x.Peeks > 0 {
		fmt.Fprintf(&b, "; looked at daily (%d looks), the interval %s, the fixed-n interval %s",
			x.Peeks, excludedWords(x.ExcludedZeroAtAnyPeek), excludedWords(x.FixedExcludedZeroAtAnyPeek))
	}
	if o := x.Optimized; o != nil {
		fmt.Fprintf(&b, "; the adapting arms together (%s) recovered %s%%, the fixed arm %s %s%%: %s pp",
			strings.Join(o.Arms, ", "), num(o.RecoveredAmountPct, 1), o.Baseline, num(o.BaselinePct, 1), signed(o.UpliftPP, 1))
		if o.UpliftCILow != nil {
			fmt.Fprintf(&b, " (interval valid under continuous monitoring %s to %s)", signed(*o.UpliftCILow, 1), signed(*o.UpliftCIHigh, 1))
		}
		fmt.Fprintf(&b, ": %s", o.Verdict)
	}
	return b.String()
}

func excludedWords(excluded bool) string {
	if excluded {
		return "excluded 0 at some look"
	}
	return "never excluded 0"
}

// ExperimentAggregate is a policy's experiment over the seeds it ran.
type ExperimentAggregate struct {
	Name string `json:"name"`
	Runs int    `json:"runs"`
	// UpliftPP is the mean of the runs' uplifts with its Student-t interval over seeds;
	// UpliftMin and UpliftMax their range.
	UpliftPP  Estimate `json:"uplift_pp"`
	UpliftMin float64  `json:"uplift_min"`
	UpliftMax float64  `json:"uplift_max"`
	// Runs whose confidence sequence held 0 at the end, and at every daily look; the same for
	// the fixed-n interval. For an A/A experiment these are the runs without a false alarm.
	HoldsZeroAtEnd          int `json:"holds_zero_at_end"`
	HoldsZeroAtEveryPeek    int `json:"holds_zero_at_every_peek"`
	FixedHoldsZeroAtEnd     int `json:"fixed_holds_zero_at_end"`
	FixedHoldsZeroEveryPeek int `json:"fixed_holds_zero_at_every_peek"`
	CILowAboveZero          int `json:"ci_low_above_zero"` // runs whose interval is entirely above 0
	// Optimized: the adapting arms together minus the fixed arm (ExperimentResult.Optimized),
	// the mean over the runs with its Student-t interval over seeds, and the runs whose
	// confidence sequence ended entirely above and entirely below 0; nil without a fixed arm.
	Optimized *OptimizedAggregate `json:"optimized,omitempty"`
}

// OptimizedAggregate is the adapting arms' uplift over the fixed arm across seeds.
type OptimizedAggregate struct {
	Baseline   string   `json:"baseline"`
	UpliftPP   Estimate `json:"uplift_pp"`
	CIAbove0   int      `json:"ci_above_zero"`
	CIBelow0   int      `json:"ci_below_zero"`
	upliftRuns []float64
}

// aggregateExperiment sums the experiment blocks of one policy's runs; nil when none has one.
func aggregateExperiment(runs []Summary) *ExperimentAggregate {
	var a *ExperimentAggregate
	var ups []float64
	holds := func(lo, hi *float64) bool { return lo == nil || (*lo <= 0 && 0 <= *hi) }
	for _, r := range runs {
		x := r.Experiment
		if x == nil {
			continue
		}
		if a == nil {
			a = &ExperimentAggregate{Name: x.Name, UpliftMin: x.UpliftPP, UpliftMax: x.UpliftPP}
		}
		a.Runs++
		ups = append(ups, x.UpliftPP)
		a.UpliftMin, a.UpliftMax = min(a.UpliftMin, x.UpliftPP), max(a.UpliftMax, x.UpliftPP)
		if holds(x.UpliftCILow, x.UpliftCIHigh) {
			a.HoldsZeroAtEnd++
		}
		if holds(x.UpliftCILow, x.UpliftCIHigh) && !x.ExcludedZeroAtAnyPeek {
			a.HoldsZeroAtEveryPeek++
		}
		if holds(x.UpliftFixedCILow, x.UpliftFixedCIHi) {
			a.FixedHoldsZeroAtEnd++
		}
		if holds(x.UpliftFixedCILow, x.UpliftFixedCIHi) && !x.FixedExcludedZeroAtAnyPeek {
			a.FixedHoldsZeroEveryPeek++
		}
		if x.UpliftCILow != nil && *x.UpliftCILow > 0 {
			a.CILowAboveZero++
		}
		if o := x.Optimized; o != nil {
			if a.Optimized == nil {
				a.Optimized = &OptimizedAggregate{Baseline: o.Baseline}
			}
			a.Optimized.upliftRuns = append(a.Optimized.upliftRuns, o.UpliftPP)
			if o.UpliftCILow != nil && *o.UpliftCILow > 0 {
				a.Optimized.CIAbove0++
			}
			if o.UpliftCIHigh != nil && *o.UpliftCIHigh < 0 {
				a.Optimized.CIBelow0++
			}
		}
	}
	if a != nil {
		a.UpliftPP = estimate(ups)
		if a.Optimized != nil {
			a.Optimized.UpliftPP = estimate(a.Optimized.upliftRuns)
		}
	}
	return a
}

// experimentSection is the report's section on the policies' experiments: each run's arms and
// uplift, and over several seeds the uplift's mean and range and how often the intervals held 0.
// nil when no run has an experiment.
func experimentSection(runs []Summary, aggs []PolicyAggregate) *section {
	t := &table{Header: []string{"Policy", "Seed", "Experiment", "Arms: recovered amount % [interval]", "Uplift (pp)",
		"Interval (always valid)", "Fixed-n interval", "Verdict", "Daily looks", "Excluded 0 at a look (always valid / fixed-n)"}}
	for _, r := range runs {
		x := r.Experiment
		if x == nil {
			continue
		}
		var arms []string
		for _, a := range x.Arms {
			arms = append(arms, a.Name+" "+num(a.RecoveredAmountPct, 1)+" "+bracket(a.CILow, a.CIHigh, false))
		}
		if o := x.Optimized; o != nil {
			arms = append(arms, fmt.Sprintf("the adapting arms together %s against the fixed arm %s %s: %s pp %s",
				num(o.RecoveredAmountPct, 1), o.Baseline, num(o.BaselinePct, 1), signed(o.UpliftPP, 2), bracket(o.UpliftCILow, o.UpliftCIHigh, true)))
		}
		t.Rows = append(t.Rows, []string{r.Policy, strconv.FormatUint(r.Seed, 10), x.Name, strings.Join(arms, "; "),
			signed(x.UpliftPP, 2), bracket(x.UpliftCILow, x.UpliftCIHigh, true), bracket(x.UpliftFixedCILow, x.UpliftFixedCIHi, true),
			x.Verdict, strconv.Itoa(x.Peeks), yesNo(x.ExcludedZeroAtAnyPeek) + " / " + yesNo(x.FixedExcludedZeroAtAnyPeek)})
	}
	if len(t.Rows) == 0 {
		return nil
	}
	notes := []string{
		"Customers are split between the arms of the policy's experiment; the uplift is the first arm other than the control minus the control, in percentage points of the failed amount, per customer (all of a customer's invoices in one arm). The control is the arm left to Stripe (the world plays Stripe's own recovery for it), or the first arm when none is (A/A).",
		"The interval is the 95% confidence sequence of package experiment, valid however often it is looked at; the fixed-n interval is valid only looked at once. Daily looks: at the end of each simulated day, the customers assigned by then with their final outcomes (the simulator knows them; a merchant would wait for the cases to close).",
	}
	for _, a := range aggs {
		x := a.Experiment
		if x == nil || x.Runs < 2 {
			continue
		}
		notes = append(notes, fmt.Sprintf("%s over %d seeds: uplift %s pp on average (%s to %s); the interval held 0 at the end in %d runs and at every daily look in %d; the fixed-n interval at the end in %d and at every daily look in %d; entirely above 0 in %d.",
			a.Policy, x.Runs, signed(x.UpliftPP.Mean, 2), signed(x.UpliftMin, 2), signed(x.UpliftMax, 2),
			x.HoldsZeroAtEnd, x.HoldsZeroAtEveryPeek, x.FixedHoldsZeroAtEnd, x.FixedHoldsZeroEveryPeek, x.CILowAboveZero))
		if o := x.Optimized; o != nil {
			notes = append(notes, fmt.Sprintf("%s over %d seeds: the adapting arms together minus the fixed arm %s: %s pp on average (95%% interval over seeds %s to %s); the run's interval was entirely above 0 in %d runs and entirely below 0 in %d.",
				a.Policy, x.Runs, o.Baseline, signed(o.UpliftPP.Mean, 2), signed(o.UpliftPP.Low, 2), signed(o.UpliftPP.High, 2), o.CIAbove0, o.CIBelow0))
		}
	}
	return &section{Heading: "Experiment", Notes: notes, Table: t}
}

func bracket(lo, hi *float64, sign bool) string {
	if lo == nil || hi == nil {
		return "— (fewer than 20 customers in an arm)"
	}
	f := num
	if sign {
		f = signed
	}
	return "[" + f(*lo, 2) + ", " + f(*hi, 2) + "]"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
