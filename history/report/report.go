// Package report turns the account's imported history (recoup history import) into what
// happened to its failed payments: failure and recovery rates by decline, by retry, by the
// customer's local hour and weekday and by the days since the failure, the time to recovery,
// what Stripe's retries recovered against the customers, the amount lost and the charges that
// broke a card network's retry rule. Build is pure: the command reads the store and renders.
package report

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/timing"
)

// Options say what Build reports on.
type Options struct {
	From, To time.Time
	// Zone is the customers' time zone when their card names no country (the policy's).
	Zone *time.Location
}

// Rate is K of N: the count and what it is counted of, so a reader sees both.
type Rate struct {
	K int `json:"k"`
	N int `json:"n"`
}

// MarshalJSON writes the rate with its percent, to two decimals.
func (r Rate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		K   int     `json:"k"`
		N   int     `json:"n"`
		Pct float64 `json:"pct"`
	}{r.K, r.N, math.Round(r.Pct()*100) / 100})
}

// Pct is the rate in percent, 0 when there is nothing to count.
func (r Rate) Pct() float64 {
	if r.N == 0 {
		return 0
	}
	return 100 * float64(r.K) / float64(r.N)
}

// Group is the failed invoices whose first failure had one decline category or code.
type Group struct {
	Key   string `json:"key"`   // the category or code as Stripe and recoup name it
	Label string `json:"label"` // in words
	Outcomes
	// Retries are the later charges of the card that failed first, and how many passed.
	Retries Rate `json:"retries"`
}

// Outcomes count how the failed invoices ended.
type Outcomes struct {
	Invoices int `json:"invoices"`
	// ByRetry: a later charge of the card that failed paid it (Stripe's retries, or the
	// customer paying with the same card: Stripe does not tell them apart).
	ByRetry int `json:"paid_by_retry"`
	// ByNewCard: paid with another payment method, a card update or a new card.
	ByNewCard int `json:"paid_with_new_card"`
	// AfterAuth: paid by the same card after an authentication only the customer could pass.
	AfterAuth int `json:"paid_after_authentication"`
	// Elsewhere: paid with no charge of the period seen to pass: outside Stripe, or by a charge
	// the import did not join to the invoice.
	Elsewhere int `json:"paid_elsewhere"`
	Unpaid    int `json:"unpaid"` // voided or marked uncollectible
	Open      int `json:"open"`   // still open when imported
}

// Recovered is how many invoices were paid, by any means, of all.
func (o Outcomes) Recovered() Rate {
	return Rate{K: o.ByRetry + o.ByNewCard + o.AfterAuth + o.Elsewhere, N: o.Invoices}
}

// ByCustomer is how many invoices the customer paid (a new card, an authentication, outside).
func (o Outcomes) ByCustomer() int { return o.ByNewCard + o.AfterAuth + o.Elsewhere }

// Amounts are the failed invoices' amounts in one currency, in its minor unit.
type Amounts struct {
	Currency   string `json:"currency"`
	Failed     int64  `json:"failed"`
	ByRetry    int64  `json:"recovered_by_retry"`
	ByCustomer int64  `json:"recovered_by_customer"`
	Lost       int64  `json:"lost"` // voided or marked uncollectible
	Open       int64  `json:"open"`
}

// Bucket is one row of a breakdown of charges: by retry number, local hour, weekday or days
// since the first failure.
type Bucket struct {
	Label string `json:"label"`
	// Charges: every charge of the period at that hour or weekday and how many failed
	// (empty by retry number and by days since the failure).
	Charges Rate `json:"charges"`
	// Retries: the later charges of the card that failed an invoice's first charge, and how
	// many passed.
	Retries Rate `json:"retries"`
}

// Breach is a charge that broke a card network's retry rule, as recoup's guard reads the
// rules (decline.Guard) over the card's earlier charges since its latest success.
type Breach struct {
	ChargeID   string    `json:"charge_id"`
	InvoiceID  string    `json:"invoice_id,omitempty"`
	CustomerID string    `json:"customer_id"`
	Card       string    `json:"card"` // the payment method, or the customer and brand
	Brand      string    `json:"brand"`
	At         time.Time `json:"at"`
	// Rule is the rule the charge broke, in words.
	Rule string `json:"rule"`
	// AllowedAt is when the rule would have allowed it; zero when it forbade any charge.
	AllowedAt time.Time `json:"allowed_at,omitzero"`
}

// Report is what happened to the account's failed payments in the period.
type Report struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	ImportedAt time.Time `json:"imported_at"` // when the latest import last saved
	// ImportSince is the start of the latest import's period: nothing created before it was
	// read by that import (an earlier import may have read further back).
	ImportSince time.Time `json:"import_since"`
	// ImportDone is false while the latest import has not finished: the figures are partial.
	ImportDone bool `json:"import_done"`
	// Charges are all charges of the period and how many failed.
	Charges Rate `json:"charges"`
	Outcomes
	Amounts    []Amounts `json:"amounts"`
	ByCategory []Group   `json:"by_category"`
	ByCode     []Group   `json:"by_code"`
	// NeverRecovered are the codes of at least NeverMin invoices none of which was recovered,
	// by any means.
	NeverRecovered []Group   `json:"never_recovered"`
	ByRetryNumber  []Bucket  `json:"by_retry_number"`
	ByHour         []Bucket  `json:"by_local_hour"`
	ByWeekday      []Bucket  `json:"by_local_weekday"`
	ByDaysSince    []Bucket  `json:"by_days_since_failure"`
	Recovery       Recovery  `json:"time_to_recovery"`
	Breaches       []Breach  `json:"network_rule_breaches"`
	BreachRules    []Counted `json:"network_rule_breaches_by_rule"`
	CanTell        []string  `json:"what_history_can_tell"`
	CannotTell     []string  `json:"what_history_cannot_tell"`
}

// Counted is a rule and how many charges broke it.
type Counted struct {
	Rule  string `json:"rule"`
	Count int    `json:"count"`
}

// Recovery is the time from the first failure to payment.
type Recovery struct {
	// MedianDays is the median, over the recovered invoices, of the days to recovery (0 if
	// none was recovered).
	MedianDays float64 `json:"median_days"`
	// ByRetry[d] and Any[d] are the percent of all failed invoices paid by a retry and by any
	// means by the end of day d after the first failure (day 0: its first 24 hours), for
	// d = 0 .. CurveDays.
	ByRetry []float64 `json:"by_retry_pct"`
	Any     []float64 `json:"any_pct"`
}

// CurveDays is the last day of the time-to-recovery curve; NeverMin the least number of
// invoices a code needs to be listed as never recovered.
const (
	CurveDays = 60
	NeverMin  = 3
)

// Build reports on the history hist (from the store's ReadHistory).
func Build(hist recoup.HistoryRecord, o Options) Report {
	zone := cmp.Or(o.Zone, time.UTC)
	r := Report{From: o.From, To: o.To, ImportedAt: hist.Import.UpdatedAt, ImportSince: hist.Import.Since, ImportDone: hist.Import.Phase == recoup.ImportDone,
		Amounts: []Amounts{}, NeverRecovered: []Group{}, Breaches: []Breach{}, BreachRules: []Counted{},
		CanTell: CanTell, CannotTell: CannotTell}
	local := func(ch recoup.HistoryCharge, country string) time.Time {
		return ch.Created.In(timing.Zone(cmp.Or(ch.CardCountry, country), "", zone))
	}

	r.ByHour, r.ByWeekday = make([]Bucket, 24), make([]Bucket, 7)
	for h := range r.ByHour {
		r.ByHour[h].Label = time.Date(2000, 1, 1, h, 0, 0, 0, time.UTC).Format("15:00")
	}
	for d := range r.ByWeekday {
		r.ByWeekday[d].Label = weekdays[d].String()
	}
	for _, ch := range hist.Charges {
		if ch.Status == "pending" {
			continue
		}
		failed := ch.Status == "failed"
		at := local(ch, "")
		r.Charges.add(failed)
		r.ByHour[at.Hour()].Charges.add(failed)
		r.ByWeekday[weekdayIndex(at.Weekday())].Charges.add(failed)
	}

	categories := map[string]*Group{}
	codes := map[string]*Group{}
	amounts := map[string]*Amounts{}
	r.ByRetryNumber = make([]Bucket, len(retryLabels))
	for i, l := range retryLabels {
		r.ByRetryNumber[i].Label = l
	}
	r.ByDaysSince = make([]Bucket, len(daySpans))
	for i, s := range daySpans {
		r.ByDaysSince[i].Label = s.label
	}
	var recoveredDays []float64
	retryCurve, anyCurve := make([]int, CurveDays+1), make([]int, CurveDays+1)
	for _, inv := range hist.Invoices {
		end := ending(inv)
		cat := group(categories, string(inv.Category), CategoryWords(inv.Category))
		code := declineCode(inv)
		cd := group(codes, code, codeWords(code))
		a := amounts[inv.Currency]
		if a == nil {
			a = &Amounts{Currency: inv.Currency}
			amounts[inv.Currency] = a
		}
		a.Failed += inv.Amount
		for _, o := range []*Outcomes{&r.Outcomes, &cat.Outcomes, &cd.Outcomes} {
			o.count(end)
		}
		switch end {
		case endRetry:
			a.ByRetry += inv.Amount
		case endNewCard, endAuth, endElsewhere:
			a.ByCustomer += inv.Amount
		case endUnpaid:
			a.Lost += inv.Amount
		default:
			a.Open += inv.Amount
		}
		if end.recovered() {
			days := inv.EndedAt.Sub(inv.FirstFailedAt).Hours() / 24
			recoveredDays = append(recoveredDays, days)
			if d := int(days); d <= CurveDays {
				anyCurve[max(d, 0)]++
				if end == endRetry {
					retryCurve[max(d, 0)]++
				}
			}
		}

		// The retries are the later charges of the card that failed: a charge of another card
		// is the customer's payment, counted in how the invoice ended.
		chs := firstFailureOn(inv.Attempts)
		retry := 0
		for i, ch := range chs {
			if ch.Status == "pending" || ch.PaymentMethodID != chs[0].PaymentMethodID {
				continue
			}
			retry++
			if i == 0 {
				continue // the first failure itself
			}
			passed := ch.Status == "succeeded"
			at := local(ch, inv.Country)
			cat.Retries.add(passed)
			cd.Retries.add(passed)
			r.ByRetryNumber[min(retry-2, len(retryLabels)-1)].Retries.add(passed)
			r.ByHour[at.Hour()].Retries.add(passed)
			r.ByWeekday[weekdayIndex(at.Weekday())].Retries.add(passed)
			since := ch.Created.Sub(inv.FirstFailedAt)
			for i, s := range daySpans {
				if since < s.below || i == len(daySpans)-1 {
					r.ByDaysSince[i].Retries.add(passed)
					break
				}
			}
		}
	}

	for _, c := range recoup.Categories {
		if g := categories[string(c)]; g != nil {
			r.ByCategory = append(r.ByCategory, *g)
			delete(categories, string(c))
		}
	}
	r.ByCategory = append(r.ByCategory, sorted(categories)...) // unknown, or none given
	r.ByCode = sorted(codes)
	for _, g := range r.ByCode {
		if g.Invoices >= NeverMin && g.Recovered().K == 0 && g.Open < g.Invoices {
			r.NeverRecovered = append(r.NeverRecovered, g)
		}
	}
	for _, a := range amounts {
		r.Amounts = append(r.Amounts, *a)
	}
	slices.SortFunc(r.Amounts, func(a, b Amounts) int {
		return cmp.Or(cmp.Compare(b.Failed, a.Failed), cmp.Compare(a.Currency, b.Currency))
	})

	r.Recovery = recovery(recoveredDays, retryCurve, anyCurve, r.Invoices)
	r.Breaches = Breaches(hist.Charges)
	counts := map[string]int{}
	for _, b := range r.Breaches {
		counts[ruleKind(b.Rule)]++
	}
	for rule, n := range counts {
		r.BreachRules = append(r.BreachRules, Counted{Rule: rule, Count: n})
	}
	slices.SortFunc(r.BreachRules, func(a, b Counted) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Rule, b.Rule)) })
	return r
}

func (r *Rate) add(k bool) {
	r.N++
	if k {
		r.K++
	}
}

// firstFailureOn returns the charges from the first failed one on: the invoice's attempts as
// stored start there, but a reader may hand in earlier ones.
func firstFailureOn(chs []recoup.HistoryCharge) []recoup.HistoryCharge {
	for i, ch := range chs {
		if ch.Status == "failed" {
			return chs[i:]
		}
	}
	return nil
}

// How an invoice ended, finer than PastInvoice.Ended: a customer's payment split by how.
type end int

const (
	endOpen end = iota
	endRetry
	endNewCard
	endAuth
	endElsewhere
	endUnpaid
)

func (e end) recovered() bool { return e >= endRetry && e <= endElsewhere }

func (o *Outcomes) count(e end) {
	o.Invoices++
	switch e {
	case endRetry:
		o.ByRetry++
	case endNewCard:
		o.ByNewCard++
	case endAuth:
		o.AfterAuth++
	case endElsewhere:
		o.Elsewhere++
	case endUnpaid:
		o.Unpaid++
	default:
		o.Open++
	}
}

// ending splits a customer's payment by the charge that paid: another card, the same card
// after an authentication, or none seen.
func ending(inv recoup.PastInvoice) end {
	switch inv.Ended {
	case recoup.PastPaidByRetry:
		return endRetry
	case recoup.PastUnpaid:
		return endUnpaid
	case recoup.PastPaidByCustomer:
	default:
		return endOpen
	}
	chs := firstFailureOn(inv.Attempts)
	if len(chs) == 0 {
		return endElsewhere
	}
	for i := len(chs) - 1; i > 0; i-- {
		if chs[i].Status != "succeeded" {
			continue
		}
		if chs[i].PaymentMethodID != chs[0].PaymentMethodID {
			return endNewCard
		}
		return endAuth
	}
	return endElsewhere
}

// declineCode is the first failure's code as Stripe gives it: the issuer's decline code, else
// the error code; Stripe's own block of an excessive retry by its outcome's reason.
func declineCode(inv recoup.PastInvoice) string {
	chs := firstFailureOn(inv.Attempts)
	if len(chs) == 0 || chs[0].Decline == nil {
		return ""
	}
	d := chs[0].Decline
	if d.RetryBlocked() {
		return d.OutcomeReason
	}
	return cmp.Or(d.DeclineCode, d.Code)
}

func group(m map[string]*Group, key, label string) *Group {
	g := m[key]
	if g == nil {
		g = &Group{Key: key, Label: label}
		m[key] = g
	}
	return g
}

// sorted lists the groups, the most invoices first.
func sorted(m map[string]*Group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int { return cmp.Or(b.Invoices-a.Invoices, strings.Compare(a.Key, b.Key)) })
	return out
}

// Weekdays from Monday.
var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func weekdayIndex(d time.Weekday) int { return (int(d) + 6) % 7 }

var retryLabels = []string{"1st retry", "2nd retry", "3rd retry", "4th retry", "5th retry", "6th retry", "7th retry", "8th retry or later"}

// daySpans bucket a retry by the time since the first failure: each holds the retries below
// its bound and at or above the previous one's; the last holds the rest.
var daySpans = []struct {
	label string
	below time.Duration
}{
	{"within a day", 24 * time.Hour},
	{"day 1", 2 * 24 * time.Hour},
	{"day 2", 3 * 24 * time.Hour},
	{"day 3", 4 * 24 * time.Hour},
	{"days 4-6", 7 * 24 * time.Hour},
	{"days 7-13", 14 * 24 * time.Hour},
	{"days 14-29", 30 * 24 * time.Hour},
	{"day 30 or later", 0},
}

// recovery is the time-to-recovery curve and median from the recovered invoices' days.
func recovery(days []float64, retry, any []int, invoices int) Recovery {
	rc := Recovery{ByRetry: make([]float64, CurveDays+1), Any: make([]float64, CurveDays+1)}
	if len(days) > 0 {
		slices.Sort(days)
		n := len(days)
		rc.MedianDays = days[n/2]
		if n%2 == 0 {
			rc.MedianDays = (days[n/2-1] + days[n/2]) / 2
		}
	}
	var cr, ca int
	for d := 0; d <= CurveDays; d++ {
		cr, ca = cr+retry[d], ca+any[d]
		if invoices > 0 {
			rc.ByRetry[d], rc.Any[d] = 100*float64(cr)/float64(invoices), 100*float64(ca)/float64(invoices)
		}
	}
	return rc
}
