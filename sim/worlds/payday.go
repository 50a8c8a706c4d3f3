package worlds

import "time"

// paydays is one customer's pay pattern in their own time zone: money arrives at hour o'clock
// local on every day the schedule matches.
type paydays struct {
	sched PaySchedule
	phase int // which week of two a biweekly rule pays
	hour  int
	loc   *time.Location
}

// lookBack bounds the search for the last payday: every schedule pays at least monthly.
const lookBack = 45

// last returns the latest arrival of money at or before t.
func (p paydays) last(t time.Time) (time.Time, bool) {
	d := civil(t, p.loc)
	for i := 0; i < lookBack; i++ {
		if p.sched.pays(d, p.phase) {
			if at := p.arrival(d); !at.After(t) {
				return at, true
			}
		}
		d = d.AddDate(0, 0, -1)
	}
	return time.Time{}, false
}

// between returns the arrivals of money in [from, to), in order.
func (p paydays) between(from, to time.Time) []time.Time {
	var out []time.Time
	for d := civil(from, p.loc); !p.arrival(d).After(to); d = d.AddDate(0, 0, 1) {
		if !p.sched.pays(d, p.phase) {
			continue
		}
		if at := p.arrival(d); !at.Before(from) && at.Before(to) {
			out = append(out, at)
		}
	}
	return out
}

func (p paydays) arrival(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), p.hour, 0, 0, 0, p.loc)
}

// pays reports whether money arrives on the civil date d (a UTC midnight).
func (s PaySchedule) pays(d time.Time, phase int) bool {
	for _, r := range s.Rules {
		if r.pays(d, phase) {
			return true
		}
	}
	return false
}

func (r PayRule) pays(d time.Time, phase int) bool {
	switch r.Kind {
	case PayWeekly:
		return d.Weekday() == r.Weekday
	case PayBiweekly:
		week := d.Unix() / 86400 / 7 // consecutive same weekdays fall in consecutive weeks
		return d.Weekday() == r.Weekday && (week+int64(phase))%2 == 0
	case PayDayOfMonth:
		// A nominal date on a weekend moves back to Friday, possibly into the previous month.
		next := d.AddDate(0, 1, 0)
		return d.Equal(businessBefore(dayOf(d.Year(), d.Month(), r.Day))) ||
			d.Equal(businessBefore(dayOf(next.Year(), next.Month(), r.Day)))
	case PayLastBusinessDay:
		return d.Equal(businessBefore(dayOf(d.Year(), d.Month(), 31)))
	case PayNthBusinessDay:
		if weekend(d) {
			return false
		}
		n := 0
		for x := dayOf(d.Year(), d.Month(), 1); !x.After(d); x = x.AddDate(0, 0, 1) {
			if !weekend(x) {
				n++
			}
		}
		return n == r.Day
	}
	return false
}

// civil returns t's local calendar date as a UTC midnight, for date arithmetic free of DST.
func civil(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// dayOf returns the given day of a month, clamped to the month's length.
func dayOf(y int, m time.Month, day int) time.Time {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(y, m, min(day, last), 0, 0, 0, 0, time.UTC)
}

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// businessBefore moves a weekend date back to the Friday before.
func businessBefore(d time.Time) time.Time {
	for weekend(d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}
