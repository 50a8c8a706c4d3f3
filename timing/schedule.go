package timing

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/recoup-hq/recoup"
)

// A card short of funds passes once money arrives, and people are paid on schedules: a day of
// the month, the last or the Nth business day of the month, a weekday every week or every other
// week. Which schedule a customer is on is not known, but every declined charge says something
// about it: a charge made within payWindow days of a payday under schedule s, and declined, says
// that this cycle brought no money if s is the customer's schedule. So recoup keeps, for each
// case, a belief over the schedules (payBelief): it starts from the prior the model learned for
// the customer's country (Model.PayPrior, from the outcomes of past charges) and each declined
// charge lowers the schedules it tested. A day's mass is the belief in the schedules whose money
// should be there that day, in a cycle not yet tried and not the one that failed. The timing
// model sees the mass as a feature (paymix), so what it is worth is learned like the rest.

const (
	// payWindow is how many days, the payday included, money stays on a short account.
	payWindow = 3
	// payFunded is the assumed chance that a pay cycle covers the invoice: how much a declined
	// charge in a cycle's window counts against the schedule that put a payday before it.
	payFunded = 0.6
	// payMorning is the local hour by which a payday's money has arrived: a charge earlier on
	// the payday itself tests nothing.
	payMorning = 12
	// payLookBack is how many days before the failure the last payday is looked for: every
	// schedule pays at least monthly.
	payLookBack = 40
)

type scheduleKind uint8

const (
	dayOfMonth      scheduleKind = iota // n: the day (1-30), moved back to a business day
	lastBusinessDay                     // the last business day of the month
	nthBusinessDay                      // n: the Nth business day of the month
	weekly                              // n: the weekday
	biweekly                            // n: weekday*2 + the parity of the weeks it pays
)

// schedule is one pay schedule recoup considers.
type schedule struct {
	kind scheduleKind
	n    int
}

// schedules are every schedule considered, in a fixed order: a schedule's index is its bit in
// a uint64. The index tables find a schedule's index by its parameters.
var (
	schedules     []schedule
	dayIndex      [31]int
	lastIndex     int
	nthIndex      [6]int
	weeklyIndex   [7]int
	biweeklyIndex [7][2]int
)

func init() {
	add := func(s schedule) int { schedules = append(schedules, s); return len(schedules) - 1 }
	for d := 1; d <= 30; d++ { // the 31st, moved back to a business day, is the last one
		dayIndex[d] = add(schedule{dayOfMonth, d})
	}
	lastIndex = add(schedule{lastBusinessDay, 0})
	for n := 1; n <= 5; n++ {
		nthIndex[n] = add(schedule{nthBusinessDay, n})
	}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		weeklyIndex[wd] = add(schedule{weekly, int(wd)})
		biweeklyIndex[wd][0] = add(schedule{biweekly, int(wd) * 2})
		biweeklyIndex[wd][1] = add(schedule{biweekly, int(wd)*2 + 1})
	}
	scheduleIndex = map[string]int{}
	for i, s := range schedules {
		scheduleNames = append(scheduleNames, s.String())
		scheduleIndex[s.String()] = i
	}
}

var (
	scheduleNames []string
	scheduleIndex map[string]int
)

func (s schedule) String() string {
	switch s.kind {
	case dayOfMonth:
		return "day:" + strconv.Itoa(s.n)
	case lastBusinessDay:
		return "last_business_day"
	case nthBusinessDay:
		return "business_day:" + strconv.Itoa(s.n)
	case weekly:
		return "weekly:" + time.Weekday(s.n).String()[:3]
	}
	return "biweekly:" + time.Weekday(s.n / 2).String()[:3] + "/" + strconv.Itoa(s.n%2)
}

// dayNumber is the civil date of t in t's location as days since 1970-01-01 (a Thursday).
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func dateOf(n int) time.Time { return time.Unix(int64(n)*86400, 0).UTC() }

func weekdayOf(n int) time.Weekday { return time.Weekday((n%7 + 7 + 4) % 7) }

// paydays returns, for each day number in [first, last], the set of schedules that pay that
// day, as bits of the schedules' indexes. A day of the month that is not a business day moves
// back to the business day before it, as employers do.
func paydays(cal Calendar, first, last int) []uint64 {
	out := make([]uint64, last-first+1)
	set := func(day, i int) {
		if day >= first && day <= last {
			out[day-first] |= 1 << i
		}
	}
	back := func(day int) int { // the business day on or before day
		for i := 0; i < 10 && !cal.workday(day); i++ {
			day--
		}
		return day
	}
	// Month by month, from the month before first (the 1st may move back into it) to the
	// month after last.
	y, m, _ := dateOf(first).AddDate(0, -1, 0).Date()
	for month := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC); dayNumber(month) <= last; month = month.AddDate(0, 1, 0) {
		start := dayNumber(month)
		length := month.AddDate(0, 1, -1).Day()
		for d := 1; d <= 30; d++ {
			set(back(start+min(d, length)-1), dayIndex[d])
		}
		set(back(start+length-1), lastIndex)
		for day, n := start, 0; day < start+length && n < 5; day++ {
			if cal.workday(day) {
				n++
				set(day, nthIndex[n])
			}
		}
	}
	for day := first; day <= last; day++ {
		if wd := weekdayOf(day); wd >= time.Monday && wd <= time.Friday {
			out[day-first] |= 1<<weeklyIndex[wd] | 1<<biweeklyIndex[wd][(day/7)%2]
		}
	}
	return out
}

// workday reports whether day (a day number) is a business day of the calendar.
func (c Calendar) workday(day int) bool {
	if c.c == nil {
		wd := weekdayOf(day)
		return wd != time.Saturday && wd != time.Sunday
	}
	y := dateOf(day).Year()
	k := workdaysKey{c.c, y}
	v, ok := workdaysCache.Load(k)
	if !ok {
		v, _ = workdaysCache.LoadOrStore(k, c.workdaysOf(y))
	}
	return v.(*[367]bool)[dateOf(day).YearDay()]
}

type workdaysKey struct {
	c    any
	year int
}

// workdaysCache holds each calendar's business days by year: the holiday rules are costly to
// evaluate day by day.
var workdaysCache sync.Map

func (c Calendar) workdaysOf(year int) *[367]bool {
	var out [367]bool
	for d := time.Date(year, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
		out[d.YearDay()] = c.c.IsWorkday(d)
	}
	return &out
}

// payBelief is what a case's history says about when its customer's money is there: for each
// day from first, the mass of the schedules under which that day falls in the window of a
// payday whose cycle is neither the failure's nor one a declined charge already tried.
type payBelief struct {
	first int
	mass  []float64
	// lastOpen is the set of schedules whose money should be there on the last day, tried how
	// many of each schedule's cycles the charges tried, and charged whether there were any.
	lastOpen uint64
	tried    []uint8
	charged  bool
	// weight is each schedule's share of the belief.
	weight []float64
}

// newPayBelief reckons the belief for c's days from its failure to until, from prior (the
// weights of schedules, by index; nil: all alike).
func newPayBelief(c Case, prior []float64, until time.Time) payBelief {
	loc := c.loc()
	failed := dayNumber(c.FirstFailed.In(loc))
	last := max(dayNumber(until.In(loc)), failed)
	first := failed - payLookBack
	pays := paydays(c.Cal, first, last)
	// The declined charges after the failure, as (day, counts) pairs: a charge before
	// payMorning on a payday does not count for that payday.
	type charge struct {
		day   int
		early bool
	}
	var charges []charge
	for _, t := range c.Charged {
		l := t.In(loc)
		if d := dayNumber(l); t.After(c.FirstFailed) {
			charges = append(charges, charge{d, l.Hour() < payMorning})
		}
	}
	slices.SortFunc(charges, func(a, b charge) int { return a.day - b.day })
	b := payBelief{first: failed, mass: make([]float64, last-failed+1), tried: make([]uint8, len(schedules)), charged: len(charges) > 0,
		weight: make([]float64, len(schedules))}
	open := make([]bool, len(b.mass))
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
		payday, tried := cycle, true // the failure's own cycle is spent
		next := 0                    // the next charge to look at
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
			open[d-failed] = inWindow && !tried
		}
		if open[len(open)-1] {
			b.lastOpen |= bit
		}
		b.weight[i] = w
		total += w
		for d, ok := range open {
			if ok {
				b.mass[d] += w
			}
		}
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

// payReason says, for a decision's reason, which of the customer's likely schedules put money
// there at t and how much of the belief they hold; empty for a case that does not wait for
// money.
func payReason(c Case, t time.Time) string {
	if c.Category != recoup.CategoryFunds {
		return ""
	}
	b := newPayBelief(c, c.PayPrior, t)
	var open []ScheduleWeight
	for i, w := range b.weight {
		if b.lastOpen&(1<<i) != 0 && w >= 0.005 {
			open = append(open, ScheduleWeight{scheduleNames[i], w})
		}
	}
	if len(open) == 0 {
		return "; no likely payday's money expected then"
	}
	slices.SortStableFunc(open, func(a, b ScheduleWeight) int { return -cmpFloat(a.Weight, b.Weight) })
	var names []string
	for _, s := range open[:min(3, len(open))] {
		names = append(names, fmt.Sprintf("%s %.0f%%", s.Schedule, 100*s.Weight))
	}
	return fmt.Sprintf("; money expected from pay schedules holding %.0f%% of the belief (%s)", 100*b.at(dayNumber(t.In(c.loc()))), strings.Join(names, ", "))
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

// PayEvidence is what a charge of c at t, a success or not, says about the customer's pay
// schedule, for Model.Update to learn the country's schedules from: one feature naming the
// country, whether the case had been charged since the failure, and for each schedule how many
// of its cycles earlier charges tried and whether its money should be there at t. Nil for a
// case that does not wait for money.
func PayEvidence(c Case, t time.Time) []string {
	if c.Category != recoup.CategoryFunds {
		return nil
	}
	b := newPayBelief(c, nil, t)
	v := make([]byte, len(schedules))
	for i := range schedules {
		v[i] = evidenceChar(int(b.tried[i]), b.lastOpen&(1<<i) != 0)
	}
	again := "0"
	if b.charged {
		again = "1"
	}
	return []string{evidencePrefix + c.Country + ":" + again + ":" + string(v)}
}

// evidencePrefix marks an observation's feature that is pay-schedule evidence, not a weight.
const evidencePrefix = "pay@"

// maxTried caps the tried cycles evidence counts: (1-payFunded)^9 is as good as none left.
const maxTried = 9

func evidenceChar(tried int, open bool) byte {
	return '0' + byte(min(tried, maxTried)*2+b2i(open))
}

// Pay-schedule priors: pseudo-counts spread evenly over the schedules for the prior shared by
// all countries, and pseudo-counts of that shared prior for each country's.
const (
	paySharedPseudo  = 20
	payCountryPseudo = 20
)

// PayPrior returns the weights of the pay schedules for a customer of country (by index in
// schedules), learned from the outcomes of charges (learnPay).
func (m *Model) PayPrior(country string) []float64 {
	out := make([]float64, len(schedules))
	shared, local := m.Pay[""], m.Pay[country]
	n, nc := 0.0, 0.0
	for _, v := range shared {
		n += v
	}
	if country != "" {
		for _, v := range local {
			nc += v
		}
	}
	for i, name := range scheduleNames {
		g := (shared[name] + paySharedPseudo/float64(len(schedules))) / (n + paySharedPseudo)
		out[i] = g
		if country != "" {
			out[i] = (local[name] + payCountryPseudo*g) / (nc + payCountryPseudo)
		}
	}
	return out
}

// learnPay folds one charge's pay evidence into the schedules' counts. Each case counts once,
// as its current belief over the schedules (the country's prior times the likelihood of its
// outcomes so far): a charge replaces the belief its case had before it with the belief after
// it. This is expectation-maximisation done online: the counts move toward the schedules that
// explain both the charges that passed and those that did not.
func (m *Model) learnPay(evidence string, success bool) {
	rest := strings.TrimPrefix(evidence, evidencePrefix)
	country, rest, ok1 := strings.Cut(rest, ":")
	again, v, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || len(v) != len(schedules) {
		return // from another version of the schedules: ignored
	}
	prior := m.PayPrior(country)
	before, after := make([]float64, len(v)), make([]float64, len(v))
	var sumBefore, sumAfter float64
	for i := range v {
		x := int(v[i] - '0')
		if x < 0 || x > maxTried*2+1 {
			return
		}
		tried, open := x/2, x%2 == 1
		before[i] = prior[i] * math.Pow(1-payFunded, float64(tried))
		lik := 1.0
		switch {
		case success && open:
			lik = payFunded
		case success:
			lik = 0
		case open:
			lik = 1 - payFunded
		}
		after[i] = before[i] * lik
		sumBefore += before[i]
		sumAfter += after[i]
	}
	if m.Pay == nil {
		m.Pay = map[string]map[string]float64{}
	}
	keys := []string{""}
	if country != "" {
		keys = append(keys, country)
	}
	for _, key := range keys {
		counts := m.Pay[key]
		if counts == nil {
			counts = map[string]float64{}
			m.Pay[key] = counts
		}
		for i, name := range scheduleNames {
			d := 0.0
			if sumAfter > 0 {
				d += after[i] / sumAfter
			}
			if again == "1" && sumBefore > 0 {
				d -= before[i] / sumBefore
			}
			if d != 0 {
				counts[name] = max(counts[name]+d, 0)
			}
		}
	}
}

// ScheduleWeight is a pay schedule and its weight in a country's prior.
type ScheduleWeight struct {
	Schedule string
	Weight   float64
}

// PayCountries lists the countries the model has pay evidence for, with how many cases' worth:
// all countries together first (""), then the most evidence first.
func (m *Model) PayCountries() ([]string, []float64) {
	var out []string
	for c := range m.Pay {
		out = append(out, c)
	}
	total := func(c string) float64 {
		n := 0.0
		for _, v := range m.Pay[c] {
			n += v
		}
		return n
	}
	slices.SortFunc(out, func(a, b string) int {
		if a == "" || b == "" {
			return strings.Compare(a, b)
		}
		if d := total(b) - total(a); d != 0 {
			return int(math.Copysign(1, d))
		}
		return strings.Compare(a, b)
	})
	n := make([]float64, len(out))
	for i, c := range out {
		n[i] = total(c)
	}
	return out, n
}

// TopSchedules returns the n schedules of highest weight in country's prior, highest first.
func (m *Model) TopSchedules(country string, n int) []ScheduleWeight {
	prior := m.PayPrior(country)
	out := make([]ScheduleWeight, len(prior))
	for i, w := range prior {
		out[i] = ScheduleWeight{scheduleNames[i], w}
	}
	slices.SortStableFunc(out, func(a, b ScheduleWeight) int { return -cmpFloat(a.Weight, b.Weight) })
	return out[:min(n, len(out))]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
