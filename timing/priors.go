package timing

import (
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Priors are what the model believes before any outcome. Public knowledge, each item with its
// source in docs/retry-timing.md ("Cold start"), and never a simulated world's parameters:
//
//   - pay schedules by country (PublicPaydays): where the belief over a customer's pay schedules
//     starts, and what the learned counts are shrunk toward;
//   - that money arrives on paydays: a funds retry on a day the belief expects money starts
//     ahead of one on a day it does not (paymixPrior);
//   - issuers' approval by local hour: the small hours are worse, the morning a little better
//     (hourPrior);
//   - that repeated attempts soon after a generic decline can make an issuer's fraud systems
//     turn a soft decline into a hard one: such a retry costs part of the card's later chances
//     (SoonKeep).
//
// Each decline and advice code's guidance enters through decline.Classify (the category, which
// carries a prior rate, whether to retry at all, the advised wait). Without Public every timing
// feature starts neutral and the schedules uniform.
type Priors struct {
	Public bool
	// Paydays are the merchant's own pay schedules for their customers, by country ("" for
	// every country), by schedule name (ParseSchedule); they take merchantShare of the prior.
	Paydays map[string][]string
}

// PublicPriors are the priors of public knowledge without the merchant's own.
func PublicPriors() Priors { return Priors{Public: true} }

// merchantShare is the share of a country's schedule prior the merchant's paydays hold; the rest
// is the public prior (or uniform), so a payday the merchant did not name is still learned.
const merchantShare = 0.8

// Key identifies the priors: a model folded from other priors is folded again.
func (p Priors) Key() string {
	h := fnv.New64a()
	fmt.Fprintf(h, "v1 public=%t", p.Public)
	for _, c := range slices.Sorted(maps.Keys(p.Paydays)) {
		fmt.Fprintf(h, " %s=%s", c, strings.Join(p.Paydays[c], ","))
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// ParseSchedule checks the name of a pay schedule as a policy writes it and returns the names
// of the schedules it stands for: day:1-30, last_business_day, business_day:1-5, weekly:mon-fri,
// biweekly:mon-fri (both weeks' phases).
func ParseSchedule(name string) ([]string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if _, ok := scheduleIndex[n]; ok {
		return []string{n}, nil
	}
	kind, arg, _ := strings.Cut(n, ":")
	wd := -1
	for d := time.Monday; d <= time.Friday; d++ {
		if strings.HasPrefix(strings.ToLower(d.String()), arg) && len(arg) >= 3 {
			wd = int(d)
		}
	}
	switch {
	case kind == "weekly" && wd >= 0:
		return []string{schedules[weeklyIndex[wd]].String()}, nil
	case kind == "biweekly" && wd >= 0:
		return []string{schedules[biweeklyIndex[wd][0]].String(), schedules[biweeklyIndex[wd][1]].String()}, nil
	}
	return nil, fmt.Errorf("unknown pay schedule %q: use day:1-30, last_business_day, business_day:1-5, weekly:mon-fri or biweekly:mon-fri", name)
}

// PublicPaydays are the shares of pay schedules by country that public sources document
// (docs/retry-timing.md, "Cold start"); "" stands for every other country. Whatever a table
// leaves out gets publicResidual spread over all schedules.
var PublicPaydays = map[string]map[string]float64{
	// BLS, Current Employment Statistics, length of pay period, 2019: weekly 33.8%, biweekly
	// 42.2%, semimonthly 18.6%, monthly 5.4% of private businesses. Weekly and biweekly pay is
	// taken to come on Fridays, semimonthly on the 15th and the last day (or the 1st), monthly on
	// the last business day or the 1st; Social Security pays some on the 3rd (SSA).
	"US": {"weekly:Fri": 0.338, "biweekly:Fri/0": 0.211, "biweekly:Fri/1": 0.211, "day:15": 0.093, "last_business_day": 0.074,
		"day:1": 0.046, "day:3": 0.03},
	// Monthly pay on the last working day, or the 25th-28th, in the UK and much of Europe;
	// the 25th in Japan.
	"GB": {"last_business_day": 0.5, "day:25": 0.1, "day:28": 0.1, "weekly:Fri": 0.1, "biweekly:Fri/0": 0.05, "biweekly:Fri/1": 0.05},
	"JP": {"day:25": 0.6, "last_business_day": 0.15, "day:20": 0.05, "day:10": 0.05},
	"":   {"last_business_day": 0.3, "day:1": 0.15, "day:15": 0.15, "day:25": 0.1, "weekly:Fri": 0.1, "biweekly:Fri/0": 0.05, "biweekly:Fri/1": 0.05},
}

// Europe's monthly pay on the last working day (or the 25th): the countries that share GB's
// table without its weekly share.
func init() {
	eu := map[string]float64{"last_business_day": 0.55, "day:25": 0.15, "day:1": 0.1, "day:15": 0.05}
	for _, c := range []string{"DE", "FR", "NL", "BE", "AT", "ES", "IT", "PT", "IE", "SE", "DK", "FI", "NO", "CH", "PL"} {
		PublicPaydays[c] = eu
	}
}

// publicResidual is the share of every public table spread over all schedules: people are paid
// on schedules no table names.
const publicResidual = 0.1

// payBase returns, by schedule index, where country's schedule prior starts: the public table
// (or uniform), with the merchant's paydays in front.
func (p Priors) payBase(country string) []float64 {
	n := float64(len(schedules))
	out := make([]float64, len(schedules))
	for i := range out {
		out[i] = 1 / n
	}
	if p.Public {
		table, ok := PublicPaydays[country]
		if !ok {
			table = PublicPaydays[""]
		}
		sum := 0.0
		for _, name := range scheduleNames { // in a fixed order: a replay must decide alike
			sum += table[name]
		}
		for i, name := range scheduleNames {
			out[i] = publicResidual/n + (1-publicResidual)*table[name]/sum
		}
	}
	own, ok := p.Paydays[country]
	if !ok {
		own = p.Paydays[""]
	}
	if len(own) > 0 {
		for i := range out {
			out[i] *= 1 - merchantShare
		}
		for _, name := range own {
			names, err := ParseSchedule(name)
			if err != nil {
				continue // the policy checked them
			}
			for _, s := range names {
				out[scheduleIndex[s]] += merchantShare / float64(len(own)) / float64(len(names))
			}
		}
	}
	return out
}

// payBases is payBase of "" and of every country PublicPaydays or the merchant's Paydays name:
// any other country's is payBase("").
func (p Priors) payBases() map[string][]float64 {
	out := map[string][]float64{"": p.payBase("")}
	for c := range PublicPaydays {
		out[c] = p.payBase(c)
	}
	for c := range p.Paydays {
		out[c] = p.payBase(c)
	}
	return out
}

// payBaseOf is m.priors.payBase(country), from the table NewModelWith made.
func (m *Model) payBaseOf(country string) []float64 {
	if b, ok := m.bases[country]; ok {
		return b
	}
	return m.bases[""]
}

// featurePrior returns the public prior mean of a timing feature, on the scale of the model's
// weights (scale: the score's spread of a typical retry), and whether there is one.
func (p Priors) featurePrior(f string, scale float64) (float64, bool) {
	if !p.Public {
		return 0, false
	}
	_, rest, ok := strings.Cut(f, "|")
	if !ok {
		return 0, false
	}
	kind, value, _ := strings.Cut(rest, ":")
	switch kind {
	case "hour":
		h, err := strconv.Atoi(value)
		if err != nil {
			return 0, false
		}
		return hourPrior(h) * scale, true
	case "paymix":
		if i := slices.Index(payMixNames, value); i >= 0 {
			return paymixPrior(i) * scale, true
		}
	}
	return 0, false
}

// hourPrior is the shift in probit of a retry at local hour h. Recurly measured decline rates
// rising from about 18% in business hours to 25-28% between 01:00 and 04:00 (a probit shift of
// about -0.3); retries at 08-10 local succeed about 14% more often, and 21:00-06:00 worse.
func hourPrior(h int) float64 {
	switch {
	case h >= 1 && h <= 4:
		return -0.3
	case h == 0 || h == 5 || h >= 22:
		return -0.15
	case h == 21:
		return -0.05
	case h >= 8 && h <= 10:
		return 0.075
	}
	return 0
}

// paymixPrior is the shift in probit of a funds retry on a day whose share of the pay belief
// is bucket i (payMixNames): insufficient funds recover after paydays, so a day that money is
// expected on starts ahead. The sizes are ours (no public figure): enough to order the days of
// a cold start, small against what a few dozen outcomes teach.
func paymixPrior(i int) float64 {
	x := 0.0
	if i > 0 {
		x = payMixBuckets[min(i-1, len(payMixBuckets)-1)]
	}
	return 0.5*math.Min(x/0.3, 1) - 0.2
}

// SoonKeep is the share of a card's later chances a retry keeps when made d after the last
// declined charge of a generic (issuer_soft) decline: repeated attempts within hours can make
// the issuer's fraud systems turn a soft decline into a hard one, and Stripe, Visa and
// Mastercard limit or fine them. 1 for other categories, a day or more after, or neutral priors.
func (p Priors) SoonKeep(category string, d time.Duration) float64 {
	if !p.Public || category != "issuer_soft" || d < 0 {
		return 1
	}
	switch {
	case d < time.Hour:
		return 0.6
	case d < 6*time.Hour:
		return 0.8
	case d < 24*time.Hour:
		return 0.93
	}
	return 1
}
