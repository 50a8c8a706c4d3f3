package timing

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// Case is what is known about a case when its next retry is considered: only what Stripe shows.
type Case struct {
	Category recoup.Category
	Code     string // the latest decline's most specific code
	Brand    string
	Funding  string
	Amount   int64 // in the currency's minor unit
	Currency string
	// Charges counts recoup's charges of the card being retried so far.
	Charges     int
	FirstFailed time.Time
	// LastAttempt is the latest charge of the invoice by anyone (zero: none since the failure).
	LastAttempt time.Time
	// LastMessage is when the customer was last sent a message about the case (zero: never): a
	// customer who was just asked to add funds or call their bank may have done so.
	LastMessage time.Time
	Loc         *time.Location // the customer's time zone
	Cal         Calendar       // the customer's banking calendar
	// Charged are the times of the charges of the card since the failure that were declined.
	Charged []time.Time
	// Country is the customer's country (ISO 3166-1 alpha-2, upper case), or the card's when
	// the customer's is not known.
	Country string
	// PayPrior weighs the pay schedules the customer may be on (by index in schedules; nil:
	// all alike): Model.PayPrior of the customer's country.
	PayPrior []float64
	// Past is what the customer's earlier cases say.
	Past History
}

// Paydays are the pay patterns a retry's timing is described against: money commonly arrives on
// the 1st, the 15th, the 25th, the last business day of the month and on Fridays. The model
// also sees the plain day of the month, so a pattern not named here still shows in the data.
var Paydays = [numPaydays]string{"1st", "15th", "25th", "last_business_day", "friday"}

// Features describes a retry of the case at t as the names of the model's active features. The
// features of the card and the decline are shared by all categories; those of timing are
// crossed with the category, since paydays matter to a card short of funds and hardly to a
// processing error.
func Features(c Case, t time.Time) []string { return features(c, t, c.payBelief(t)) }

// features are Features with the case's belief over pay schedules already reckoned (nil for a
// case that does not wait for money), up to t or later.
func features(c Case, t time.Time, pb *payBelief) []string {
	return featuresWith(staticFeatures(make([]string, 0, 8), c), c, t, pb)
}

// featuresWith is features(c, t, pb) made from its static features, staticFeatures(_, c): a
// decision names the same ones for every time it scores.
func featuresWith(static []string, c Case, t time.Time, pb *payBelief) []string {
	l := t.In(c.loc())
	out := make([]string, 0, 32)
	out = append(out, static...)
	out = timeFeatures(out, c, t, l.Hour())
	return dayFeatures(out, c, l, pb)
}

// payBelief returns the belief over the customer's pay schedules up to until, for a category
// whose retries wait for money; nil for the others.
func (c Case) payBelief(until time.Time) *payBelief {
	if c.Category != recoup.CategoryFunds {
		return nil
	}
	b := newPayBelief(c, c.PayPrior, until)
	return &b
}

// payBeliefAt is c.payBelief(t) from pb, the belief reckoned to a later time: the same belief
// when no declined charge falls on a day after t's (a belief's days up to t depend only on the
// charges up to then), else reckoned anew.
func (c Case) payBeliefAt(pb *payBelief, t time.Time) *payBelief {
	if pb == nil {
		return nil
	}
	loc := c.loc()
	day := dayNumber(t.In(loc))
	if day >= pb.first+len(pb.mass) {
		return c.payBelief(t)
	}
	for _, ch := range c.Charged {
		if ch.After(c.FirstFailed) && dayNumber(ch.In(loc)) > day {
			return c.payBelief(t)
		}
	}
	return pb
}

func (c Case) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// staticFeatures are those of the card, the decline, the attempt and the customer's earlier
// cases: the same at any time. A customer's first case has no history feature: the bias stands
// for it.
func staticFeatures(out []string, c Case) []string {
	out = append(out, "bias", "cat:"+string(c.Category), "code:"+orNone(c.Code), "brand:"+orNone(strings.ToLower(c.Brand)),
		"funding:"+orNone(strings.ToLower(c.Funding)), "amount:"+amountBucket(c.Amount, c.Currency),
		group(c.Category)+"|attempt:"+attemptBucket(c.Charges+1))
	if c.Past.Last != "" {
		out = append(out, "past:"+c.Past.Last)
	}
	return out
}

// timeFeatures are those of the moment: the local hour and the time since the failure, the last
// charge and the last message.
func timeFeatures(out []string, c Case, t time.Time, hour int) []string {
	g := group(c.Category)
	out = append(out, g+"|hour:"+strconv.Itoa(hour), g+"|since_failure:"+sinceBucket(t.Sub(c.FirstFailed), failureBuckets))
	if !c.LastAttempt.IsZero() {
		out = append(out, g+"|since_last:"+sinceBucket(t.Sub(c.LastAttempt), lastBuckets))
	}
	if c.LastMessage.IsZero() || c.LastMessage.After(t) {
		return append(out, g+"|since_message:none")
	}
	return append(out, g+"|since_message:"+sinceBucket(t.Sub(c.LastMessage), lastBuckets))
}

// dayFeatures are those of the customer's local date l: weekday, day of month, business day,
// and where it stands against paydays: for a card short of funds (pb not nil) what the belief
// over the customer's pay schedules says of the day, for the others the named paydays and the
// days of the month and week that came since the last charge.
func dayFeatures(out []string, c Case, l time.Time, pb *payBelief) []string {
	eachDayFeature(c, l, pb, func(f *feat) { out = append(out, f.name) })
	return out
}

// eachDayFeature calls emit with each of dayFeatures(c, l, pb), in order, from the category
// group's table (dayNames).
func eachDayFeature(c Case, l time.Time, pb *payBelief, emit func(*feat)) {
	nm := dayNamesOf(c.Category)
	y, m, d := l.Date()
	wd := l.Weekday()
	emit(&nm.weekday[wd])
	emit(&nm.dom[d])
	switch {
	case c.Cal.c != nil && c.Cal.flags(y, m, d)&observedHoliday != 0:
		emit(&nm.day[dayHoliday])
	case wd == time.Saturday || wd == time.Sunday:
		emit(&nm.day[dayWeekend])
	default:
		emit(&nm.day[dayBusiness])
	}
	today := daysFromCivil(y, m, d)
	if pb != nil {
		// A category that waits for money has the belief over the customer's pay schedules
		// (belief.go): how much of it says the money is there today.
		emit(&nm.payMix[payMixBucket(pb.at(today))])
		return
	}
	// Whether each kind of payday has come since the failure: money that was short at the
	// failure arrives at the next payday, not the one before it. And, once the card has been
	// charged again, whether one has come since that charge: a charge that failed after a
	// payday says that payday's money was not there, so the next chance is the next payday.
	failedDays := today - dayNumber(c.FirstFailed.In(l.Location()))
	lastDays := -1
	if c.LastAttempt.After(c.FirstFailed) {
		lastDays = today - dayNumber(c.LastAttempt.In(l.Location()))
	}
	for k := range Paydays {
		since := daysSincePayday(c.Cal, y, m, d, wd, k)
		emit(&nm.since[k][dayBucketIndex(since)])
		emit(&nm.passed[k][b2i(since < failedDays)])
		if lastDays >= 0 {
			emit(&nm.afterCharge[k][b2i(since < lastDays)])
		}
	}
	// Paydays nobody named: every day of the month and of the week that came since the last
	// charge (or the failure), learned like the named ones.
	gap := failedDays
	if lastDays >= 0 {
		gap = lastDays
	}
	var seen uint32 // the days of the month already named: a month back from March meets February
	for i := 0; i < gap && i < 31; i++ {
		if bit := uint32(1) << d; seen&bit == 0 {
			seen |= bit
			emit(&nm.newDom[d])
		}
		if i < 7 {
			emit(&nm.newWeekday[(int(wd)-i+7)%7])
		}
		if d--; d == 0 { // into the month before
			if m--; m == 0 {
				y, m = y-1, time.December
			}
			d = daysIn(y, m)
		}
	}
}

const (
	dayBusiness = iota
	dayWeekend
	dayHoliday
)

// dayNames are the names of one category group's day features, made once: a decision describes
// every day of its window.
type dayNames struct {
	weekday             [7]feat
	dom                 [32]feat
	day                 [3]feat
	since               [numPaydays][len(dayBuckets)]feat
	passed, afterCharge [numPaydays][2]feat // [no, yes]
	newDom              [32]feat
	newWeekday          [7]feat
	payMix              []feat
	n                   int // the features named: their ids are 0 to n-1
}

// feat is a day feature's name, and its number in its group's table (a decision keeps what it
// drew for each by number: daySampler).
type feat struct {
	name string
	id   int
}

// name returns the next feature of the table, named s.
func (nm *dayNames) name(s string) feat {
	nm.n++
	return feat{s, nm.n - 1}
}

const numPaydays = 5

var (
	dayBuckets    = [...]string{"0", "1", "2", "3", "4-6", "7+"}
	dayNamesTable = func() map[string]*dayNames {
		t := map[string]*dayNames{}
		for _, c := range append(slices.Clone(timedCategories), "other") {
			g, nm := string(c), &dayNames{}
			for d := range nm.weekday {
				nm.weekday[d] = nm.name(g + "|weekday:" + time.Weekday(d).String()[:3])
			}
			for d := 1; d < len(nm.dom); d++ {
				nm.dom[d] = nm.name(g + "|dom:" + strconv.Itoa(d))
				nm.newDom[d] = nm.name(g + "|new_dom:" + strconv.Itoa(d))
			}
			for d := range nm.newWeekday {
				nm.newWeekday[d] = nm.name(g + "|new_weekday:" + time.Weekday(d).String()[:3])
			}
			nm.day = [3]feat{nm.name(g + "|day:business"), nm.name(g + "|day:weekend"), nm.name(g + "|day:holiday")}
			for _, b := range payMixNames {
				nm.payMix = append(nm.payMix, nm.name(g+"|paymix:"+b))
			}
			for k, name := range Paydays {
				for b, bucket := range dayBuckets {
					nm.since[k][b] = nm.name(g + "|since_" + name + ":" + bucket)
				}
				for i, yn := range []string{"no", "yes"} {
					nm.passed[k][i] = nm.name(g + "|passed_" + name + ":" + yn)
					nm.afterCharge[k][i] = nm.name(g + "|after_charge_" + name + ":" + yn)
				}
			}
			t[g] = nm
		}
		return t
	}()
)

func dayNamesOf(c recoup.Category) *dayNames { return dayNamesTable[group(c)] }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// timedCategories have timing features of their own; the rest share the group "other".
var timedCategories = []recoup.Category{recoup.CategoryFunds, recoup.CategoryIssuerSoft, recoup.CategoryTechnical}

// group is the category the timing features are crossed with.
func group(c recoup.Category) string {
	if slices.Contains(timedCategories, c) {
		return string(c)
	}
	return "other"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// zeroDecimal lists the currencies Stripe charges in whole units.
var zeroDecimal = map[string]bool{"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true,
	"krw": true, "mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true}

// amountBucket is the order of magnitude of the amount in major units. Currencies are not
// converted: the buckets are coarse enough for the common ones.
func amountBucket(minor int64, currency string) string {
	major := float64(minor) / 100
	if zeroDecimal[strings.ToLower(currency)] {
		major = float64(minor)
	}
	switch {
	case major < 20:
		return "<20"
	case major < 50:
		return "20-50"
	case major < 100:
		return "50-100"
	case major < 300:
		return "100-300"
	case major < 1000:
		return "300-1000"
	}
	return "1000+"
}

func attemptBucket(n int) string {
	if n >= 4 {
		return "4+"
	}
	return strconv.Itoa(n)
}

type bucket struct {
	below time.Duration
	name  string
}

// buckets are consecutive time ranges, and the name of the one past the last.
type buckets struct {
	list []bucket
	over string
}

var (
	failureBuckets = buckets{[]bucket{{time.Hour, "<1h"}, {6 * time.Hour, "1-6h"}, {24 * time.Hour, "6-24h"}, {48 * time.Hour, "1-2d"},
		{96 * time.Hour, "2-4d"}, {7 * 24 * time.Hour, "4-7d"}, {14 * 24 * time.Hour, "7-14d"}}, "14d+"}
	lastBuckets = buckets{[]bucket{{time.Hour, "<1h"}, {6 * time.Hour, "1-6h"}, {24 * time.Hour, "6-24h"}, {72 * time.Hour, "1-3d"}}, "3d+"}
)

func sinceBucket(d time.Duration, bs buckets) string { return bs.name(bucketIndex(d, bs)) }

// bucketIndex is the index in bs.list of the range d falls in, len(bs.list) past the last.
func bucketIndex(d time.Duration, bs buckets) int {
	for i, b := range bs.list {
		if d < b.below {
			return i
		}
	}
	return len(bs.list)
}

func (bs buckets) name(i int) string {
	if i == len(bs.list) {
		return bs.over
	}
	return bs.list[i].name
}

// dayBucketIndex is the index in dayBuckets of d days (d ≥ 0).
func dayBucketIndex(d int) int {
	switch {
	case d <= 3:
		return d
	case d <= 6:
		return 4
	}
	return 5
}

// daysSincePayday counts the local days from the latest payday of kind Paydays[k] on or before
// the date y-m-d (a wd) to that date.
func daysSincePayday(c Calendar, y int, m time.Month, d int, wd time.Weekday, k int) int {
	py, pm := y, m-1 // the month before
	if pm == 0 {
		py, pm = y-1, time.December
	}
	switch Paydays[k] {
	case "1st":
		return d - 1
	case "15th", "25th":
		nth := 15
		if Paydays[k] == "25th" {
			nth = 25
		}
		if d >= nth {
			return d - nth
		}
		return daysFromCivil(y, m, d) - daysFromCivil(py, pm, nth)
	case "last_business_day":
		cal := c
		if cal.c == nil {
			cal = CalendarFor("")
		}
		if lbd := cal.LastBusinessDay(y, m); d >= lbd {
			return d - lbd
		}
		return daysFromCivil(y, m, d) - daysFromCivil(py, pm, cal.LastBusinessDay(py, pm))
	default: // friday
		return (int(wd) - int(time.Friday) + 7) % 7
	}
}

// civilDays counts the local calendar days from a's date to b's date.
func civilDays(a, b time.Time) int { return dayNumber(b) - dayNumber(a) }

// daysFromCivil is the number of days from 1970-01-01 to the proleptic Gregorian date y-m-d
// (H. Hinnant's days_from_civil): date arithmetic without building times.
func daysFromCivil(y int, m time.Month, d int) int {
	if m <= time.February {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	doy := (153*((int(m)+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// daysIn is the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	ny, nm := y, m+1
	if nm > time.December {
		ny, nm = y+1, time.January
	}
	return daysFromCivil(ny, nm, 1) - daysFromCivil(y, m, 1)
}
