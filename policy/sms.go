package policy

import "time"

// SMS quiet hours: a campaign without quiet hours of its own still sends no text between
// 21:00 and 08:00 in the customer's time zone (the hours the US TCPA allows are 8 to 21; most
// countries' rules and carriers' codes are stricter than none). A campaign's own quiet hours
// apply to every channel.
const (
	SMSQuietFrom = 21
	SMSQuietTo   = 8
)

// OutsideQuietHoursOn is OutsideQuietHours for a message on channel: the sms channel keeps
// the SMS quiet hours when the campaign has none.
func (p *Policy) OutsideQuietHoursOn(channel string, t time.Time, loc *time.Location) time.Time {
	if channel != "sms" || p.Campaign.QuietFrom != p.Campaign.QuietTo {
		return p.OutsideQuietHours(t, loc)
	}
	v := *p
	v.Campaign.QuietFrom, v.Campaign.QuietTo = SMSQuietFrom, SMSQuietTo
	return v.OutsideQuietHours(t, loc)
}
