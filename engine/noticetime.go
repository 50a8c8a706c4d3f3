package engine

import (
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/policy"
)

// When notices are sent. A notice belongs to no case, but it reaches the same customer as a
// campaign step, so it keeps the campaign's manners: sent at the campaign's hour in the
// customer's local time (their zone from their address, else the policy's), never in their
// quiet hours. The policy is the default segment's: with no case, no segment was chosen.

// noticeZone is the customer's time zone for a notice, from their address.
func noticeZone(country, region string, p *policy.Policy) *time.Location {
	loc, _ := customerClock(recoup.Case{CustomerCountry: country, CustomerRegion: region}, p)
	return loc
}

// reminderAt is when the reminder of day `day` (relative to the due date: -3 is three days
// before) of an invoice due at due is sent: the campaign's hour on that local day, or now if
// that hour has passed, moved out of the quiet hours. ok is false when the reminder's local
// day is over: a reminder sent later would say the wrong thing.
func reminderAt(p *policy.Policy, loc *time.Location, due time.Time, day int, now time.Time) (time.Time, bool) {
	l := due.In(loc)
	at := time.Date(l.Year(), l.Month(), l.Day()+day, p.Campaign.Hour, 0, 0, 0, loc)
	if end := time.Date(l.Year(), l.Month(), l.Day()+day+1, 0, 0, 0, 0, loc); !end.After(now) {
		return time.Time{}, false
	}
	return p.OutsideQuietHours(later(at, now), loc), true
}

// noticeNowAt is when a notice prompted now (a card expiring before a renewal) is sent: today
// at the campaign's hour if that is still to come, else now, moved out of the quiet hours.
func noticeNowAt(p *policy.Policy, loc *time.Location, now time.Time) time.Time {
	l := now.In(loc)
	at := time.Date(l.Year(), l.Month(), l.Day(), p.Campaign.Hour, 0, 0, 0, loc)
	return p.OutsideQuietHours(later(at, now), loc)
}
