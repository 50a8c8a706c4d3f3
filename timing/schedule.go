package timing

import (
	"strconv"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
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
	if len(schedules) > 64 {
		panic("timing: more pay schedules than bits in a uint64")
	}
	scheduleIndex = map[string]int{}
	for i, s := range schedules {
		scheduleNames = append(scheduleNames, s.String())
		scheduleIndex[s.String()] = i
	}
	noCounts = make([]float64, len(schedules))
	allSchedules = 1<<len(schedules) - 1
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
func dayNumber(t time.Time) int { return daysFromCivil(t.Date()) }

func dateOf(n int) time.Time { return time.Unix(int64(n)*86400, 0).UTC() }

func weekdayOf(n int) time.Weekday { return time.Weekday((n%7 + 7 + 4) % 7) }

// paydays returns, for each day number in [first, last], the set of schedules that pay that
// day, as bits of the schedules' indexes. A day of the month that is not a business day moves
// back to the business day before it, as employers do. Each calendar's year is reckoned once
// (payYear): a decision asks about every day of its window, several times.
func paydays(cal Calendar, first, last int) []uint64 {
	out := make([]uint64, last-first+1)
	for d := first; d <= last; {
		y := dateOf(d).Year()
		start := dayNumber(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC))
		table := payYear(cal, y)
		n := copy(out[d-first:], table[d-start:])
		d += n
	}
	return out
}

type payKey struct {
	c    *cal.BusinessCalendar
	year int
}

// payTables holds each calendar's paydays of every day by year ([]uint64 by payKey).
var payTables sync.Map

// payYear returns the paydays of each day of a year in a calendar, from 1 January.
func payYear(c Calendar, year int) []uint64 {
	cc := c.c
	if cc == nil {
		cc = calendars[""]
	}
	k := payKey{cc, year}
	if v, ok := payTables.Load(k); ok {
		return v.([]uint64)
	}
	first := dayNumber(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))
	last := dayNumber(time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
	v, _ := payTables.LoadOrStore(k, reckonPaydays(Calendar{cc}, first, last))
	return v.([]uint64)
}

// reckonPaydays is paydays, reckoned from the calendar's rules.
func reckonPaydays(cal Calendar, first, last int) []uint64 {
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
	ly, lm, _ := dateOf(last).Date()
	end := dayNumber(time.Date(ly, lm+1, 1, 0, 0, 0, 0, time.UTC))
	for month := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC); dayNumber(month) <= end; month = month.AddDate(0, 1, 0) {
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
