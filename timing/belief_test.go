package timing

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// payBeliefBySchedule is newPayBelief as it reads schedule by schedule, every schedule on every
// day: the reference the day-by-day reckoning must equal to the last bit.
func payBeliefBySchedule(c Case, prior []float64, until time.Time) payBelief {
	loc := c.loc()
	lf := c.FirstFailed.In(loc)
	failed := dayNumber(lf)
	last := max(dayNumber(until.In(loc)), failed)
	first := failed - payLookBack
	pays := paydays(c.Cal, first, last)
	charges := declinedCharges(c, loc)
	b := payBelief{first: failed, mass: make([]float64, last-failed+1), tried: make([]uint8, len(schedules)), charged: len(charges) > 1,
		weight: make([]float64, len(schedules)), open: make([]uint64, last-failed+1)}
	hist := historyWeights(c.Cal, loc, c.Past.Paid)
	total := 0.0
	for i := range schedules {
		bit := uint64(1) << i
		cycle := -1
		for d := failed; d >= first; d-- {
			if pays[d-first]&bit != 0 {
				cycle = d
				break
			}
		}
		w := 1.0
		if prior != nil {
			w = prior[i]
		}
		if hist != nil {
			w *= hist[i]
		}
		payday, tried := cycle, false
		next := 0
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
	b.normalize(total)
	return b
}

// Reckoned day by day, the belief is bit for bit the one reckoned schedule by schedule: for
// failures in every month and zone, with charges early and late on paydays, several on a day,
// priors and the customer's earlier payments.
func TestPayBeliefDayByDayMatchesScheduleBySchedule(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	zones := []string{"America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Sydney", "UTC"}
	countries := []string{"US", "GB", "JP", "AU", "DE"}
	for round := range 3000 {
		z := r.IntN(len(zones))
		loc := mustLoc(t, zones[z])
		t0 := time.Date(2025+r.IntN(2), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), 0, 0, loc)
		c := Case{Category: recoup.CategoryFunds, Loc: loc, Cal: CalendarFor(countries[z]), Country: countries[z], FirstFailed: t0}
		var prior []float64
		if r.IntN(4) > 0 {
			prior = make([]float64, len(schedules))
			for i := range prior {
				prior[i] = r.Float64()
			}
		}
		at := t0
		for range r.IntN(7) {
			at = at.Add(time.Duration(r.IntN(5*24)) * time.Hour)
			if r.IntN(4) == 0 { // an early or late charge on the same day
				at = time.Date(at.Year(), at.Month(), at.Day(), []int{6, 8, 11, 12, 15}[r.IntN(5)], 0, 0, 0, loc)
			}
			c.Charged = append(c.Charged, at)
		}
		for range r.IntN(3) {
			c.Past.Paid = append(c.Past.Paid, t0.Add(-time.Duration(1+r.IntN(200*24))*time.Hour))
		}
		until := t0.Add(time.Duration(r.IntN(60*24)) * time.Hour)
		got, want := newPayBelief(c, prior, until), payBeliefBySchedule(c, prior, until)
		if got.first != want.first || got.charged != want.charged || !slices.Equal(got.mass, want.mass) ||
			!slices.Equal(got.open, want.open) || !slices.Equal(got.tried, want.tried) || !slices.Equal(got.weight, want.weight) {
			t.Fatalf("round %d (%s, failed %s, charged %v, until %s):\n got %+v\nwant %+v", round, zones[z], t0, c.Charged, until, got, want)
		}
	}
}
