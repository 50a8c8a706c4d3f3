package timing

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// payBelief is what a case's history says about when its customer's money is there: for each
// day from first, the mass of the schedules under which that day falls in the window of a
// payday whose cycle no declined charge (the failure included) already tried.
type payBelief struct {
	first int
	mass  []float64
	// open is, for each day, the set of schedules whose money should be there (bits of their
	// indexes); tried how many of each schedule's cycles the declined charges tried (the
	// failure's included), and charged whether any retry was declined since the failure.
	open    []uint64
	tried   []uint8
	charged bool
	// weight is each schedule's share of the belief.
	weight []float64
}

// newPayBelief reckons the belief for c's days from its failure to until, from prior (the
// weights of schedules, by index; nil: all alike) and the customer's earlier payments
// (historyWeights).
func newPayBelief(c Case, prior []float64, until time.Time) payBelief {
	loc := c.loc()
	lf := c.FirstFailed.In(loc)
	failed := dayNumber(lf)
	last := max(dayNumber(until.In(loc)), failed)
	first := failed - payLookBack
	pays := paydays(c.Cal, first, last)
	// The declined charges, the failure first, by day, and whether each came before payMorning
	// (then it tests nothing on a payday). The failure is a declined charge like the others: a
	// customer paid in the days before it fails only if that cycle brought too little.
	type charge struct {
		day   int
		early bool
	}
	charges := []charge{{failed, lf.Hour() < payMorning}}
	for _, t := range c.Charged {
		if !t.After(c.FirstFailed) {
			continue
		}
		l := t.In(loc)
		charges = append(charges, charge{dayNumber(l), l.Hour() < payMorning})
	}
	slices.SortFunc(charges, func(a, b charge) int { return a.day - b.day })
	b := payBelief{first: failed, mass: make([]float64, last-failed+1), tried: make([]uint8, len(schedules)), charged: len(charges) > 1,
		weight: make([]float64, len(schedules)), open: make([]uint64, last-failed+1)}
	hist := historyWeights(c.Cal, loc, c.Past.Paid)
	total := 0.0
	for i := range schedules {
		bit := uint64(1) << i
		// The failure's cycle: the last payday on or before its day.
		cycle := -1
		for d := failed; d >= first; d-- {
			if pays[d-first]&bit != 0 {
				cycle = d
				break
			}
		}
		// Walk the days after the failure: each payday opens a cycle, its window is open for
		// payWindow days unless a declined charge fell in it.
		w := 1.0
		if prior != nil {
			w = prior[i]
		}
		if hist != nil {
			w *= hist[i]
		}
		payday, tried := cycle, false // the failure, first of the charges, tests its own cycle
		next := 0                     // the next charge to look at
		for d := failed; d <= last; d++ {
			if d > failed && pays[d-first]&bit != 0 {
				payday, tried = d, false
			}
			inWindow := payday >= 0 && d-payday < payWindow
			for ; next < len(charges) && charges[next].day == d; next++ {
				if inWindow && !tried && !(d == payday && charges[next].early) {
					tried = true
					w *= 1 - payFunded
					b.tried[i]++
				}
			}
			if inWindow && !tried {
				b.open[d-failed] |= bit
				b.mass[d-failed] += w
			}
		}
		b.weight[i] = w
		total += w
	}
	if total > 0 {
		for d := range b.mass {
			b.mass[d] /= total
		}
		for i := range b.weight {
			b.weight[i] /= total
		}
	}
	return b
}

// openOn returns the set of schedules whose money should be there on day number d.
func (b payBelief) openOn(d int) uint64 {
	if i := d - b.first; i >= 0 && i < len(b.open) {
		return b.open[i]
	}
	return 0
}

// reason says, for a decision's reason, which of the customer's likely schedules put money there
// at t (in the customer's zone) and how much of the belief they hold.
func (b payBelief) reason(t time.Time) string {
	day := dayNumber(t)
	var open []ScheduleWeight
	for i, w := range b.weight {
		if b.openOn(day)&(1<<i) != 0 && w >= 0.005 {
			open = append(open, ScheduleWeight{scheduleNames[i], w})
		}
	}
	if len(open) == 0 {
		return "; no likely payday's money expected then"
	}
	slices.SortStableFunc(open, func(a, b ScheduleWeight) int { return cmp.Compare(b.Weight, a.Weight) })
	var names []string
	for _, s := range open[:min(3, len(open))] {
		names = append(names, fmt.Sprintf("%s %.0f%%", s.Schedule, 100*s.Weight))
	}
	return fmt.Sprintf("; money expected from pay schedules holding %.0f%% of the belief (%s)", 100*b.at(day), strings.Join(names, ", "))
}

// at returns the mass of day number d (0 outside the belief's days).
func (b payBelief) at(d int) float64 {
	if i := d - b.first; i >= 0 && i < len(b.mass) {
		return b.mass[i]
	}
	return 0
}

// payMixBuckets bound the ranges of a day's mass the model tells apart.
var payMixBuckets = [...]float64{0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6}

// payMixBucket is the index of the range of mass x: 0 for none, then one per bucket.
func payMixBucket(x float64) int {
	if x <= 0 {
		return 0
	}
	for i, b := range payMixBuckets {
		if x < b {
			return i + 1
		}
	}
	return len(payMixBuckets) + 1
}

var payMixNames = func() []string {
	out := []string{"0"}
	lo := "0"
	for _, b := range payMixBuckets {
		hi := strconv.Itoa(int(b*100 + 0.5))
		out = append(out, lo+"-"+hi+"%")
		lo = hi
	}
	return append(out, lo+"%+")
}()
