package timing

import (
	"cmp"
	"fmt"
	"math/bits"
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

// payCharge is a declined charge's day, and whether it came before payMorning (then it tests
// nothing on a payday).
type payCharge struct {
	day   int
	early bool
}

// declinedCharges are c's declined charges by day, the failure first: the failure is a declined
// charge like the others (a customer paid in the days before it fails only if that cycle
// brought too little).
func declinedCharges(c Case, loc *time.Location) []payCharge {
	lf := c.FirstFailed.In(loc)
	charges := []payCharge{{dayNumber(lf), lf.Hour() < payMorning}}
	for _, t := range c.Charged {
		if !t.After(c.FirstFailed) {
			continue
		}
		l := t.In(loc)
		charges = append(charges, payCharge{dayNumber(l), l.Hour() < payMorning})
	}
	slices.SortFunc(charges, func(a, b payCharge) int { return a.day - b.day })
	return charges
}

// allSchedules has the bit of every schedule (made with them).
var allSchedules uint64

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
	charges := declinedCharges(c, loc)
	n := last - failed + 1
	b := payBelief{first: failed, mass: make([]float64, n), tried: make([]uint8, len(schedules)), charged: len(charges) > 1,
		weight: make([]float64, len(schedules)), open: make([]uint64, n)}
	hist := historyWeights(c.Cal, loc, c.Past.Paid)
	// Day by day, each schedule's cycle opens on its payday and stays open payWindow days unless
	// a declined charge falls in it (then that cycle is tried and the schedule's weight falls).
	// open holds the schedules whose window is open and untried, so a day's work is its paydays,
	// charges and open schedules, not every schedule. A schedule's weights are added to a day's
	// mass in the order of the schedules, as summing them schedule by schedule would.
	var (
		payday [64]int                       // each schedule's latest payday (-1: none yet)
		w      = b.weight                    // each schedule's weight so far
		ends   = make([]uint64, n+payWindow) // by day index: schedules whose window may end then
		open   uint64
	)
	openOn := func(i, d int) {
		payday[i] = d
		if k := d + payWindow - failed; k > 0 {
			open |= 1 << i
			ends[k] |= 1 << i
		}
	}
	for i := range schedules {
		bit := uint64(1) << i
		w[i] = 1.0
		if prior != nil {
			w[i] = prior[i]
		}
		if hist != nil {
			w[i] *= hist[i]
		}
		// The failure's cycle: the last payday on or before its day; the failure, first of the
		// charges, tests it.
		payday[i] = -1
		for d := failed; d >= first; d-- {
			if pays[d-first]&bit != 0 {
				openOn(i, d)
				break
			}
		}
	}
	next := 0 // the next charge to look at
	for d := failed; d <= last; d++ {
		k := d - failed
		for m := ends[k]; m != 0; m &= m - 1 {
			if i := bits.TrailingZeros64(m); payday[i]+payWindow-failed == k {
				open &^= 1 << i
			}
		}
		if d > failed {
			for m := pays[d-first] & allSchedules; m != 0; m &= m - 1 {
				openOn(bits.TrailingZeros64(m), d)
			}
		}
		for ; next < len(charges) && charges[next].day == d; next++ {
			for m := open; m != 0; m &= m - 1 {
				i := bits.TrailingZeros64(m)
				if d == payday[i] && charges[next].early {
					continue // before the money arrives on its payday: it tests nothing
				}
				open &^= 1 << i
				w[i] *= 1 - payFunded
				b.tried[i]++
			}
		}
		b.open[k] = open
		for m := open; m != 0; m &= m - 1 {
			b.mass[k] += w[bits.TrailingZeros64(m)]
		}
	}
	total := 0.0
	for i := range schedules {
		total += w[i]
	}
	b.normalize(total)
	return b
}

// normalize divides the belief's masses and weights by total, the schedules' weights summed
// (nothing when it is 0).
func (b *payBelief) normalize(total float64) {
	if total > 0 {
		for d := range b.mass {
			b.mass[d] /= total
		}
		for i := range b.weight {
			b.weight[i] /= total
		}
	}
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
