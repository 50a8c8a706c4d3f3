package worlds

import (
	"time"

	"github.com/recoup-hq/recoup/sim"
)

func init() {
	sim.Register("shifted", func() sim.World { return NewRealisticWith(ShiftedParams()) })
}

// ShiftedParams is a world unlike `realistic` in what a timing model learns: people are paid on
// other days (the 10th and the 20th, the 5th business day, Tuesdays and Wednesdays, the 28th),
// money arrives around midday rather than at dawn, and issuers approve best in the evening and
// at weekends, worst on Tuesdays. It exists to check that recoup learns timing from outcomes
// rather than carrying the constants of one world: nothing in recoup was tuned to it. Everything
// else (the decline mix, customers, messages) is realistic's.
func ShiftedParams() RealisticParams {
	p := DefaultRealisticParams()
	tenth20th := PaySchedule{"10th and 20th", []PayRule{{Kind: PayDayOfMonth, Day: 10}, {Kind: PayDayOfMonth, Day: 20}}}
	fifthBiz := PaySchedule{"5th business day", []PayRule{{Kind: PayNthBusinessDay, Day: 5}}}
	weeklyWed := PaySchedule{"weekly Wednesday", []PayRule{{Kind: PayWeekly, Weekday: time.Wednesday}}}
	biweeklyTue := PaySchedule{"biweekly Tuesday", []PayRule{{Kind: PayBiweekly, Weekday: time.Tuesday}}}
	the28th := PaySchedule{"28th", []PayRule{{Kind: PayDayOfMonth, Day: 28}}}
	the8th := PaySchedule{"8th", []PayRule{{Kind: PayDayOfMonth, Day: 8}}}
	for i := range p.Countries {
		c := &p.Countries[i].V
		switch c.Code {
		case "US", "CA":
			c.Paydays = []Weighted[PaySchedule]{{35, tenth20th}, {25, biweeklyTue}, {20, weeklyWed}, {20, fifthBiz}}
		case "AU", "JP":
			c.Paydays = []Weighted[PaySchedule]{{60, weeklyWed}, {40, the8th}}
		default:
			c.Paydays = []Weighted[PaySchedule]{{60, the28th}, {40, tenth20th}}
		}
	}
	p.Funds.ArrivalHour = Range{11, 15}
	p.Soft.MorningFrom, p.Soft.MorningTo, p.Soft.Morning = 17, 21, 1.2
	p.Soft.NightFrom, p.Soft.NightTo, p.Soft.Night = 2, 11, 0.8
	p.Soft.Weekday = [7]float64{time.Sunday: 1.15, time.Monday: 0.95, time.Tuesday: 0.75, time.Wednesday: 0.9, time.Thursday: 1.0, time.Friday: 1.05, time.Saturday: 1.2}
	return p
}
