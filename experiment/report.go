package experiment

import (
	"cmp"
	"slices"
)

// ArmResult is one arm's figures with its recovery estimate.
type ArmResult struct {
	ArmFigures
	// Recovery is the amount-weighted recovery in percent, inverse-probability weighted,
	// with its intervals.
	Recovery Estimate
}

// Report is the statistics of an experiment as of the units given.
type Report struct {
	Customers int
	Invoices  int
	Alpha     float64
	Arms      []ArmResult
	Uplift    Uplift
}

// Compute returns the report of the units, read in assignment order (Order, ties kept in the
// order given). Arms are listed in the order of cfg.Arms, then in order of first appearance.
func Compute(units []Unit, cfg Config) (Report, error) {
	m, err := NewMonitor(cfg)
	if err != nil {
		return Report{}, err
	}
	sorted := units
	byOrder := func(a, b Unit) int { return cmp.Compare(a.Order, b.Order) }
	if !slices.IsSortedFunc(units, byOrder) {
		sorted = slices.Clone(units)
		slices.SortStableFunc(sorted, byOrder)
	}
	for _, u := range sorted {
		if err := m.Add(u); err != nil {
			return Report{}, err
		}
	}
	figs := figures(sorted)
	byName := map[string]ArmFigures{}
	for _, f := range figs {
		byName[f.Name] = f
	}
	r := Report{Customers: m.n, Invoices: m.invoices, Alpha: m.cfg.Alpha, Uplift: m.Uplift()}
	for _, name := range m.order {
		f, ok := byName[name]
		if !ok {
			f = ArmFigures{Name: name}
		}
		r.Arms = append(r.Arms, ArmResult{ArmFigures: f, Recovery: m.Arm(name)})
	}
	return r, nil
}
