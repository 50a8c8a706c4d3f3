package timing

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoup-hq/recoup"
)

// paysOn returns the dates in [from, to] on which schedule i pays.
func paysOn(cal Calendar, i int, from, to time.Time) []string {
	first, last := dayNumber(from), dayNumber(to)
	var out []string
	for d, bits := range paydays(cal, first, last) {
		if bits&(1<<i) != 0 {
			out = append(out, dateOf(first+d).Format("Mon 2 Jan"))
		}
	}
	return out
}

func TestPaydaysOfEachSchedule(t *testing.T) {
	us := CalendarFor("US")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		i        int
		from, to time.Time
		want     []string
	}{
		// 1 March 2026 is a Sunday: paid on Friday 27 February, in the month before.
		{dayIndex[1], day(2026, 2, 20), day(2026, 4, 5), []string{"Fri 27 Feb", "Wed 1 Apr"}},
		// The same when the range ends on that Friday: a day's paydays do not depend on the
		// range asked for (the next month's 1st moves back into it).
		{dayIndex[1], day(2026, 2, 20), day(2026, 2, 27), []string{"Fri 27 Feb"}},
		{lastIndex, day(2026, 2, 20), day(2026, 2, 27), []string{"Fri 27 Feb"}},
		{dayIndex[15], day(2026, 3, 1), day(2026, 4, 30), []string{"Fri 13 Mar", "Wed 15 Apr"}},
		// 3 July 2026 is the observed Independence Day holiday: paid on Thursday 2 July.
		{dayIndex[3], day(2026, 6, 20), day(2026, 7, 20), []string{"Thu 2 Jul"}},
		// February has 28 days in 2026: the 30th falls on its last day, a Saturday.
		{dayIndex[30], day(2026, 2, 1), day(2026, 3, 31), []string{"Fri 27 Feb", "Mon 30 Mar"}},
		{lastIndex, day(2026, 5, 1), day(2026, 6, 30), []string{"Fri 29 May", "Tue 30 Jun"}},
		// The first business day of June 2026 is Monday 1 June; of the fifth, Friday 5 June.
		{nthIndex[1], day(2026, 6, 1), day(2026, 6, 30), []string{"Mon 1 Jun"}},
		{nthIndex[5], day(2026, 6, 1), day(2026, 6, 30), []string{"Fri 5 Jun"}},
		{weeklyIndex[time.Friday], day(2026, 6, 1), day(2026, 6, 21), []string{"Fri 5 Jun", "Fri 12 Jun", "Fri 19 Jun"}},
	} {
		if got := paysOn(us, tc.i, tc.from, tc.to); !slices.Equal(got, tc.want) {
			t.Errorf("%s between %s and %s: got %v, want %v", scheduleNames[tc.i], tc.from.Format("2 Jan"), tc.to.Format("2 Jan"), got, tc.want)
		}
	}
	// The two biweekly Friday schedules take turns.
	a := paysOn(us, biweeklyIndex[time.Friday][0], day(2026, 6, 1), day(2026, 6, 30))
	b := paysOn(us, biweeklyIndex[time.Friday][1], day(2026, 6, 1), day(2026, 6, 30))
	all := slices.Sorted(slices.Values(append(slices.Clone(a), b...)))
	if len(a) != 2 || len(b) != 2 || len(all) != 4 || slices.ContainsFunc(a, func(s string) bool { return slices.Contains(b, s) }) {
		t.Errorf("biweekly Fridays in June: %v and %v, want two each, taking turns", a, b)
	}
}

// A prior that believes in the given schedules only, alike.
func onlySchedules(is ...int) []float64 {
	p := make([]float64, len(schedules))
	for _, i := range is {
		p[i] = 1
	}
	return p
}

func TestPayBeliefFollowsTheCaseCharges(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := Case{Category: recoup.CategoryFunds, Loc: ny, Cal: CalendarFor("US"), Country: "US",
		FirstFailed: time.Date(2026, 3, 4, 10, 0, 0, 0, ny), PayPrior: onlySchedules(dayIndex[15])}
	at := func(b payBelief, m time.Month, d int) float64 {
		return b.at(dayNumber(time.Date(2026, m, d, 12, 0, 0, 0, ny)))
	}
	until := time.Date(2026, 4, 30, 0, 0, 0, 0, ny)

	// The 15th of March is a Sunday: its money is there from Friday 13 for payWindow days.
	b := newPayBelief(c, c.PayPrior, until)
	for d, want := range map[int]float64{12: 0, 13: 1, 14: 1, 15: 1, 16: 0} {
		if got := at(b, time.March, d); got != want {
			t.Errorf("mass on %d March before any retry: %v, want %v", d, got, want)
		}
	}
	// A declined charge in that window tries the cycle: nothing until the next payday, alone in
	// the belief, so all of it again.
	c.Charged = []time.Time{time.Date(2026, 3, 13, 15, 0, 0, 0, ny)}
	b = newPayBelief(c, c.PayPrior, until)
	if got := at(b, time.March, 14); got != 0 {
		t.Errorf("mass the day after a declined charge in the window: %v, want 0", got)
	}
	if got := at(b, time.April, 15); got != 1 {
		t.Errorf("mass on the next payday: %v, want 1", got)
	}
	// A charge on the payday before its money arrived tries nothing.
	c.Charged = []time.Time{time.Date(2026, 3, 13, 7, 0, 0, 0, ny)}
	if got := at(newPayBelief(c, c.PayPrior, until), time.March, 14); got != 1 {
		t.Errorf("mass after a charge at 7:00 on the payday: %v, want 1", got)
	}

	// Two schedules alike: the one whose cycle failed keeps 1-payFunded of its weight.
	c.PayPrior = onlySchedules(dayIndex[15], dayIndex[1])
	c.Charged = []time.Time{time.Date(2026, 3, 13, 15, 0, 0, 0, ny)}
	b = newPayBelief(c, c.PayPrior, until)
	low := (1 - payFunded) / (2 - payFunded)
	if got := at(b, time.April, 1); math.Abs(got-(1-low)) > 1e-9 {
		t.Errorf("mass on 1 April (the untried schedule): %v, want %v", got, 1-low)
	}
	if got := at(b, time.April, 15); math.Abs(got-low) > 1e-9 {
		t.Errorf("mass on 15 April (the tried schedule): %v, want %v", got, low)
	}

	// The failure is a declined charge too: a failure on a payday leaves nothing until the
	// next, and weighs against the schedule; one before the money arrived tries nothing.
	c.PayPrior, c.Charged = onlySchedules(dayIndex[15]), nil
	c.FirstFailed = time.Date(2026, 3, 13, 15, 0, 0, 0, ny)
	b = newPayBelief(c, c.PayPrior, until)
	if got, next := at(b, time.March, 14), at(b, time.April, 15); got != 0 || next != 1 {
		t.Errorf("after a failure on the payday: mass %v the day after, %v on the next payday; want 0 and 1", got, next)
	}
	c.PayPrior = onlySchedules(dayIndex[15], dayIndex[1])
	if got := newPayBelief(c, c.PayPrior, until).weight[dayIndex[15]]; math.Abs(got-low) > 1e-9 {
		t.Errorf("weight of the 15th after a failure in its window: %v, want %v", got, low)
	}
	c.PayPrior, c.FirstFailed = onlySchedules(dayIndex[15]), time.Date(2026, 3, 13, 7, 0, 0, 0, ny)
	if got := at(newPayBelief(c, c.PayPrior, until), time.March, 14); got != 1 {
		t.Errorf("mass the day after a failure at 7:00 on the payday: %v, want 1", got)
	}
}

// The model learns a country's pay schedules from the outcomes of charges made at times that
// know nothing of them: evidence of one schedule in one country moves that country's prior much
// and the others' a little.
func TestPayPriorLearnsTheCountrysSchedule(t *testing.T) {
	london := mustLoc(t, "Europe/London")
	gb := CalendarFor("GB")
	m := NewModel()
	rng := rand.New(rand.NewPCG(1, 2))
	truth := lastIndex
	for n := range 400 {
		t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, london).AddDate(0, 0, n%300)
		c := Case{Category: recoup.CategoryFunds, Loc: london, Cal: gb, Country: "GB", FirstFailed: t0}
		first := dayNumber(t0)
		pays := paydays(gb, first-payLookBack, first+60)
		funded := map[int]bool{}
		payday := -1 // the cycle of the failure: never funded
		for d := first; d >= first-payLookBack; d-- {
			if pays[d-first+payLookBack]&(1<<truth) != 0 {
				payday = d
				break
			}
		}
		at := t0
		for range 5 {
			at = at.Add(time.Duration(2+rng.IntN(8)) * 24 * time.Hour).Add(time.Duration(rng.IntN(10)) * time.Hour)
			c.PayPrior = m.PayPrior("GB")
			d := dayNumber(at.In(london))
			last := payday
			for x := d; x > payday; x-- {
				if pays[x-first+payLookBack]&(1<<truth) != 0 {
					last = x
					break
				}
			}
			if _, ok := funded[last]; !ok {
				funded[last] = last != payday && rng.Float64() < 0.7
			}
			success := funded[last] && d-last < payWindow && (d > last || at.In(london).Hour() >= payMorning)
			m.Update(PayEvidence(c, at), success)
			if success {
				break
			}
			c.Charged = append(c.Charged, at)
		}
	}
	gbPrior, usPrior := m.PayPrior("GB"), m.PayPrior("US")
	uniform := 1 / float64(len(schedules))
	if gbPrior[truth] < 8*uniform {
		t.Errorf("GB's prior of %s after 400 cases: %.3f, not well above the uniform %.3f", scheduleNames[truth], gbPrior[truth], uniform)
	}
	// The 30th is often the last business day too: it may come close, never above.
	for i, p := range gbPrior {
		if i != truth && p >= gbPrior[truth] {
			t.Errorf("GB's prior of %s %.3f, above the true schedule's %.3f", scheduleNames[i], p, gbPrior[truth])
		}
	}
	if usPrior[truth] <= uniform || usPrior[truth] >= gbPrior[truth] {
		t.Errorf("US prior of %s: %.3f, want between the uniform %.3f and GB's %.3f", scheduleNames[truth], usPrior[truth], uniform, gbPrior[truth])
	}
	// The evidence teaches the schedules, never the weights.
	for f := range m.Weights {
		if strings.HasPrefix(f, evidencePrefix) {
			t.Errorf("pay evidence %q became a weight", f)
		}
	}
}

// A card short of funds has its days described by the belief over its customer's schedules,
// not by the named paydays; the belief's prior survives the store.
func TestFundsDaysAreDescribedByTheBelief(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := Case{Category: recoup.CategoryFunds, Loc: ny, Cal: CalendarFor("US"), Country: "US",
		FirstFailed: time.Date(2026, 3, 4, 10, 0, 0, 0, ny), PayPrior: onlySchedules(dayIndex[15])}
	got := Features(c, time.Date(2026, 3, 13, 15, 0, 0, 0, ny))
	if !slices.Contains(got, "funds|paymix:"+payMixNames[len(payMixNames)-1]) {
		t.Errorf("on the only schedule's payday, features lack the top paymix bucket: %v", got)
	}
	for _, f := range got {
		if strings.Contains(f, "|since_1st") || strings.Contains(f, "|new_") || strings.Contains(f, "|passed_") {
			t.Errorf("a funds case has the named-payday feature %q", f)
		}
	}
	c.Category = recoup.CategoryIssuerSoft
	if got := Features(c, time.Date(2026, 3, 13, 15, 0, 0, 0, ny)); slices.ContainsFunc(got, func(f string) bool { return strings.Contains(f, "paymix") }) {
		t.Errorf("an issuer decline has a paymix feature: %v", got)
	}
	if PayEvidence(c, time.Date(2026, 3, 13, 15, 0, 0, 0, ny)) != nil {
		t.Error("an issuer decline gave pay evidence")
	}

	m := NewModel()
	c.Category = recoup.CategoryFunds
	m.Update(append(Features(c, time.Date(2026, 3, 13, 15, 0, 0, 0, ny)), PayEvidence(c, time.Date(2026, 3, 13, 15, 0, 0, 0, ny))...), true)
	back := storedAndRead(t, m)
	if got, want := back.PayPrior("US"), m.PayPrior("US"); !slices.Equal(got, want) || slices.Equal(want, NewModel().PayPrior("US")) {
		t.Errorf("the learned prior did not survive the store, or nothing was learned: %v", got)
	}
}

// The customer's earlier payments weigh on the belief: days when a retry of their card passed
// before favour the schedules that put money there then.
func TestPayBeliefFollowsTheCustomersHistory(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := Case{Category: recoup.CategoryFunds, Loc: ny, Cal: CalendarFor("US"), Country: "US",
		FirstFailed: time.Date(2026, 3, 4, 10, 0, 0, 0, ny), PayPrior: onlySchedules(dayIndex[1], dayIndex[15], dayIndex[25])}
	until := time.Date(2026, 4, 30, 0, 0, 0, 0, ny)
	// Paid on Tuesday 25 November and Wednesday 25 February: only the 25th's windows hold both.
	c.Past = History{Last: PastPaidByRetry, Paid: []time.Time{
		time.Date(2025, 11, 25, 14, 0, 0, 0, ny), time.Date(2026, 2, 25, 11, 0, 0, 0, ny)}}
	b := newPayBelief(c, c.PayPrior, until)
	other := (1 - payFunded) * (1 - payFunded)
	want := map[int]float64{dayIndex[25]: 1 / (1 + 2*other), dayIndex[1]: other / (1 + 2*other), dayIndex[15]: other / (1 + 2*other)}
	for i, w := range want {
		if got := b.weight[i]; math.Abs(got-w) > 1e-9 {
			t.Errorf("weight of %s after two payments on the 25th: %v, want %v", scheduleNames[i], got, w)
		}
	}
	if got := b.at(dayNumber(time.Date(2026, 3, 25, 12, 0, 0, 0, ny))); math.Abs(got-want[dayIndex[25]]) > 1e-9 {
		t.Errorf("mass on 25 March: %v, want %v", got, want[dayIndex[25]])
	}
	if got, want := c.Past.reason(ny), "; their card passed after a shortage on Wed 25 Feb 2026, Tue 25 Nov 2025"; got != want {
		t.Errorf("the history's reason: %q, want %q", got, want)
	}
	// Without history the three are alike.
	c.Past = History{}
	if got := newPayBelief(c, c.PayPrior, until).weight[dayIndex[25]]; math.Abs(got-1.0/3) > 1e-9 {
		t.Errorf("weight of the 25th without history: %v, want 1/3", got)
	}
}

// The customer's latest earlier case is a feature of every retry; a first case has none.
func TestHistoryFeature(t *testing.T) {
	c := Case{Category: recoup.CategoryIssuerSoft, FirstFailed: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	at := c.FirstFailed.Add(48 * time.Hour)
	if got := Features(c, at); slices.ContainsFunc(got, func(f string) bool { return strings.HasPrefix(f, "past:") }) {
		t.Errorf("a customer's first case has a history feature: %v", got)
	}
	for _, last := range []string{PastPaidByRetry, PastPaidByCustomer, PastUnpaid} {
		c.Past.Last = last
		if got := Features(c, at); !slices.Contains(got, "past:"+last) {
			t.Errorf("features lack past:%s: %v", last, got)
		}
	}
}

// A funds decision's reason names the schedules that put money there and their share.
func TestPayReason(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := Case{Category: recoup.CategoryFunds, Loc: ny, Cal: CalendarFor("US"), Country: "US",
		FirstFailed: time.Date(2026, 3, 4, 10, 0, 0, 0, ny), PayPrior: onlySchedules(dayIndex[15], dayIndex[1])}
	until := time.Date(2026, 4, 30, 0, 0, 0, 0, ny)
	b := c.payBelief(until)
	if got := b.reason(time.Date(2026, 3, 13, 15, 0, 0, 0, ny)); !strings.Contains(got, "holding 50% of the belief (day:15 50%)") {
		t.Errorf("reason on the 15th's payday: %q", got)
	}
	if got := b.reason(time.Date(2026, 3, 10, 15, 0, 0, 0, ny)); !strings.Contains(got, "no likely payday") {
		t.Errorf("reason on a day without money: %q", got)
	}
	c.Category = recoup.CategoryIssuerSoft
	if c.payBelief(until) != nil {
		t.Error("an issuer decline has a belief over pay schedules")
	}
}

// The year tables give what the calendar's rules give, for any range, across years.
func TestPaydaysFromTheYearTablesMatchTheRules(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, country := range []string{"US", "GB", "DE", "JP", "ZZ"} {
		c := CalendarFor(country)
		for range 200 {
			first := dayNumber(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) + rng.IntN(1200)
			last := first + rng.IntN(400)
			if got, want := paydays(c, first, last), reckonPaydays(c, first, last); !slices.Equal(got, want) {
				t.Fatalf("%s %s..%s: the tables differ from the rules", country, dateOf(first).Format(time.DateOnly), dateOf(last).Format(time.DateOnly))
			}
		}
	}
}
