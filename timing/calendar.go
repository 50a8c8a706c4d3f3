package timing

import (
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fi"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/mx"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/pt"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// holidayLists are the national bank holidays of the countries rickar/cal covers nationally.
// Australia has only state lists there; New South Wales stands in for the country (it holds a
// third of its people). A country not listed has weekends only.
var holidayLists = map[string][]*cal.Holiday{
	"US": us.Holidays, "GB": gb.Holidays, "CA": ca.Holidays, "DE": de.Holidays, "FR": fr.Holidays,
	"AU": au.HolidaysNSW, "BR": br.Holidays, "JP": jp.Holidays, "NL": nl.Holidays, "ES": es.Holidays,
	"IT": it.Holidays, "IE": ie.Holidays, "MX": mx.Holidays, "NZ": nz.Holidays, "SE": se.Holidays,
	"NO": no.Holidays, "DK": dk.Holidays, "FI": fi.Holidays, "BE": be.Holidays, "AT": at.Holidays,
	"CH": ch.Holidays, "PL": pl.Holidays, "PT": pt.Holidays, "ZA": za.Holidays,
}

// calendars are built once: cal.BusinessCalendar caches its holiday computations and is safe
// for concurrent use.
var calendars = func() map[string]*cal.BusinessCalendar {
	out := make(map[string]*cal.BusinessCalendar, len(holidayLists)+1)
	for country, hols := range holidayLists {
		c := cal.NewBusinessCalendar()
		c.Cacheable = true
		c.AddHoliday(hols...)
		out[country] = c
	}
	out[""] = cal.NewBusinessCalendar()
	return out
}()

// Calendar is a country's banking calendar: which local days are business days.
type Calendar struct {
	c *cal.BusinessCalendar
}

// CalendarFor returns the banking calendar of a country (ISO 3166-1 alpha-2); an unknown
// country gets Monday to Friday without holidays.
func CalendarFor(country string) Calendar {
	if c, ok := calendars[strings.ToUpper(country)]; ok {
		return Calendar{c}
	}
	return Calendar{calendars[""]}
}

// Holiday reports whether the civil date of t (in t's location) is an observed bank holiday.
func (c Calendar) Holiday(t time.Time) bool { return c.flags(t.Date())&observedHoliday != 0 }

// BusinessDay reports whether the civil date of t is a weekday that is not a bank holiday.
func (c Calendar) BusinessDay(t time.Time) bool { return c.flags(t.Date())&businessDay != 0 }

// LastBusinessDay returns the day of month of the last business day of t's month.
func (c Calendar) LastBusinessDay(year int, month time.Month) int {
	if month < time.January || month > time.December {
		d := time.Date(year, month, 1, 12, 0, 0, 0, time.UTC)
		year, month = d.Year(), d.Month()
	}
	return int(c.year(year).last[month])
}

// reckonLastBusinessDay reckons LastBusinessDay from the year's flags.
func reckonLastBusinessDay(t *yearFlags, year int, month time.Month) int {
	d := time.Date(year, month+1, 0, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 10 && t.days[d.YearDay()]&businessDay == 0; i++ {
		d = d.AddDate(0, 0, -1)
	}
	return d.Day()
}

// workday reports whether day (a day number, dayNumber) is a business day of the calendar.
func (c Calendar) workday(day int) bool { return c.flags(dateOf(day).Date())&businessDay != 0 }

// The flags of a day in a calendar's year table.
const (
	businessDay     = 1 << iota // a weekday that is not a bank holiday
	observedHoliday             // an observed bank holiday
)

// flags returns the flags of a civil date, from the calendar's table of that year: the holiday
// rules are costly to evaluate, and a decision asks about every day of its window.
func (c Calendar) flags(year int, month time.Month, day int) uint8 {
	return c.year(year).days[time.Date(year, month, day, 12, 0, 0, 0, time.UTC).YearDay()]
}

// year returns the calendar's table of a year, made the first time it is asked for.
func (c Calendar) year(year int) *yearFlags {
	cc := c.c
	if cc == nil {
		cc = calendars[""]
	}
	k := yearKey{cc, year}
	v, ok := yearTables.Load(k)
	if !ok {
		v, _ = yearTables.LoadOrStore(k, yearTable(cc, year))
	}
	return v.(*yearFlags)
}

type yearKey struct {
	c    *cal.BusinessCalendar
	year int
}

// yearFlags are a calendar's flags of every day of a year, by day of the year, and the day of
// month of each month's last business day.
type yearFlags struct {
	days [367]uint8
	last [13]uint8
}

// yearTables holds each calendar's yearFlags by yearKey.
var yearTables sync.Map

func yearTable(c *cal.BusinessCalendar, year int) *yearFlags {
	var out yearFlags
	for d := time.Date(year, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
		var f uint8
		if c.IsWorkday(d) {
			f |= businessDay
		}
		if _, observed, _ := c.IsHoliday(d); observed {
			f |= observedHoliday
		}
		out.days[d.YearDay()] = f
	}
	for m := time.January; m <= time.December; m++ {
		out.last[m] = uint8(reckonLastBusinessDay(&out, year, m))
	}
	return &out
}

// civil is the civil date of t in its own location, as noon UTC: holiday rules compare dates,
// and noon keeps any offset arithmetic on the same day.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
}
