package experiment

import (
	"cmp"
	"fmt"
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
	sorted := inOrder(units)
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

// inOrder returns the units in assignment order, sorting a copy only when needed.
func inOrder(units []Unit) []Unit {
	byOrder := func(a, b Unit) int { return cmp.Compare(a.Order, b.Order) }
	if slices.IsSortedFunc(units, byOrder) {
		return units
	}
	sorted := slices.Clone(units)
	slices.SortStableFunc(sorted, byOrder)
	return sorted
}

// Point is the uplift as it stood after the first Customers customers.
type Point struct {
	Customers, Invoices int
	Uplift              Uplift
}

// Path returns the uplift over time, for a chart: the units in assignment order are cut into
// points equal steps, and each point is the uplift as it stood then, as someone looking at that
// moment would have seen it. The confidence sequence makes every point valid at once.
func Path(units []Unit, cfg Config, points int) ([]Point, error) {
	if points < 1 {
		return nil, fmt.Errorf("experiment path: %d points, want at least 1", points)
	}
	m, err := NewMonitor(cfg)
	if err != nil {
		return nil, err
	}
	sorted := inOrder(units)
	n := len(sorted)
	out := make([]Point, 0, min(points, n))
	next := 1
	for i, u := range sorted {
		if err := m.Add(u); err != nil {
			return nil, err
		}
		if i+1 < next*n/points && i+1 < n {
			continue
		}
		for next*n/points <= i+1 && next <= points {
			next++
		}
		out = append(out, Point{Customers: m.n, Invoices: m.invoices, Uplift: m.Uplift()})
	}
	return out, nil
}
