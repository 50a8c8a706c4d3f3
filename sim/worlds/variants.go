package worlds

import (
	"time"

	"github.com/recoup-hq/recoup/sim"
)

// A Variant is realistic (or shifted) with one of its assumptions broken: a world for checking
// that recoup's learning adapts rather than carries the constants of the worlds it was built on.
// Nothing in recoup was tuned to any of them.
type Variant struct {
	Name  string
	About string // what is changed, in words
	Base  func() RealisticParams
	Apply func(p *RealisticParams)
}

// Params is the variant's world.
func (v Variant) Params() RealisticParams {
	p := v.Base()
	v.Apply(&p)
	return p
}

// Variants lists the variant worlds, each registered under its name.
var Variants = []Variant{
	{"fast-holds", "issuer holds lift within hours (median 6 h) and only 20% never lift",
		DefaultRealisticParams, func(p *RealisticParams) {
			p.Soft.Lift = LogNormal{Median: 6 * time.Hour, Sigma: 0.8, Max: 20 * day}
			p.Soft.NeverLift = 0.2
		}},
	{"slow-holds", "issuer holds lift after about ten days",
		DefaultRealisticParams, func(p *RealisticParams) {
			p.Soft.Lift = LogNormal{Median: 10 * day, Sigma: 0.6, Max: 60 * day}
		}},
	{"slow-outages", "technical failures last half a day to several days",
		DefaultRealisticParams, func(p *RealisticParams) {
			p.Technical.Clear = []Weighted[LogNormal]{
				{50, LogNormal{Median: 12 * time.Hour, Sigma: 0.5, Max: 2 * day}},
				{50, LogNormal{Median: 2 * day, Sigma: 0.5, Max: 6 * day}},
			}
		}},
	{"weekly-pay", "everyone is paid on Mondays or every other Wednesday, and money arrives in the evening (17:00-21:00)",
		DefaultRealisticParams, func(p *RealisticParams) {
			weekly := PaySchedule{"weekly Monday", []PayRule{{Kind: PayWeekly, Weekday: time.Monday}}}
			biweekly := PaySchedule{"biweekly Wednesday", []PayRule{{Kind: PayBiweekly, Weekday: time.Wednesday}}}
			for i := range p.Countries {
				p.Countries[i].V.Paydays = []Weighted[PaySchedule]{{50, weekly}, {50, biweekly}}
			}
			p.Funds.ArrivalHour = Range{17, 21}
		}},
	{"short-money", "money lasts half a day to a day after a payday, and only 30-70% of pay cycles are funded",
		DefaultRealisticParams, func(p *RealisticParams) {
			p.Funds.FundedForDay = Range{0.5, 1.2}
			p.Funds.CycleFunded = Range{0.3, 0.7}
		}},
	{"strict-issuers", "each recent charge risks a fraud block three times as much, and tires a soft decline more",
		DefaultRealisticParams, func(p *RealisticParams) {
			p.Fraud.Hazard24, p.Fraud.Hazard72 = 0.2, 0.15
			p.Soft.Fatigue24, p.Soft.Fatigue72 = 0.3, 0.5
		}},
	{"night-issuers", "issuers approve best at night (00:00-05:00) and at weekends, worst in office hours",
		DefaultRealisticParams, func(p *RealisticParams) {
			p.Soft.MorningFrom, p.Soft.MorningTo, p.Soft.Morning = 0, 5, 1.5
			p.Soft.NightFrom, p.Soft.NightTo, p.Soft.Night = 9, 18, 0.6
			p.Soft.Weekday = [7]float64{time.Sunday: 1.3, time.Monday: 0.7, time.Tuesday: 0.7, time.Wednesday: 0.8, time.Thursday: 0.9, time.Friday: 1.0, time.Saturday: 1.3}
		}},
	{"hostile", "shifted, with money that lasts 0.6-1.5 days and arrives in the afternoon (14:00-18:00)",
		ShiftedParams, func(p *RealisticParams) {
			p.Funds.FundedForDay = Range{0.6, 1.5}
			p.Funds.ArrivalHour = Range{14, 18}
		}},
}

func init() {
	for _, v := range Variants {
		sim.Register(v.Name, func() sim.World { return NewRealisticWith(v.Params()) })
	}
}
