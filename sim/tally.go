package sim

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/recoup-hq/recoup"
)

// tally accumulates a run's measurements as invoices settle. It keeps per-invoice state only
// while an invoice is open, and fixed-size histograms otherwise, so its memory does not grow
// with the number of settled invoices.
type tally struct {
	start    time.Time
	months   int
	window   time.Duration
	currency string

	open map[string]*openInvoice
	// settled keeps every settled invoice, with its outcome, when the run has an experiment
	// (keepSettled): the experiment's units are built from them at the end. Nil otherwise.
	settled map[string]*openInvoice

	failedCount, recoveredCount   int
	failedAmount, recovered       int64
	attempts, charged, messages   int
	stripeAttempts, stripeCharged int
	stripeEmails                  int
	history                       *HistoryStat // the year before the run, imported (Run.History)
	jobErrors, unsettled          int
	violations                    int
	violationRules                map[string]int
	fees                          int64
	lostToMessaging               int
	oracleBeaten                  int
	oracleAmount, oracleRetry     int64
	retryAmount                   int64
	outcomes                      map[Result]int
	mechanisms                    map[Mechanism]*mechanismAcc
	categories                    map[recoup.Category]*categoryAcc
	monthly                       []monthAcc
	byDay                         []int64 // recovered amount by whole days since the first failure
	byHour                        []int   // recovered invoices by whole hours since the first failure
}

type openInvoice struct {
	resolved           bool // the world has settled it (a charge may do so inside the call)
	f                  Failure
	attempts, messages int
	outcome            Outcome // once resolved
}

type mechanismAcc struct {
	count  int
	amount int64
}

type categoryAcc struct {
	failed, recovered        int
	failedAmount, recoverAmt int64
	oracleAmount             int64
	attempts, messages       int
}

type monthAcc struct {
	failed                  int
	failedAmount, recovered int64
	oracleAmount            int64
	attempts, charged       int
	// The sums over the month's invoices of a², a·y and y² (a the failed amount, y the
	// recovered), for the standard error of the recovered share.
	sumA2, sumAY, sumY2 float64
}

// se is the standard error, in percentage points, of the month's recovered share of the failed
// amount (Σy / Σa over its invoices) as an estimate from the invoices that happened to fail that
// month: the ratio estimator's linearization, sqrt(n/(n−1) · Σ(y − R·a)²) / Σa. A few large
// invoices that hold most of the amount make it wide.
func (m monthAcc) se() float64 {
	if m.failed < 2 || m.failedAmount == 0 {
		return 0
	}
	r := float64(m.recovered) / float64(m.failedAmount)
	ss := m.sumY2 - 2*r*m.sumAY + r*r*m.sumA2
	n := float64(m.failed)
	return round(100*math.Sqrt(max(ss, 0)*n/(n-1))/float64(m.failedAmount), 2)
}

func newTally(start time.Time, months int, window time.Duration) *tally {
	days := int(window/(24*time.Hour)) + 1
	return &tally{
		start: start, months: months, window: window,
		open:           map[string]*openInvoice{},
		outcomes:       map[Result]int{},
		violationRules: map[string]int{},
		mechanisms:     map[Mechanism]*mechanismAcc{},
		categories:     map[recoup.Category]*categoryAcc{},
		monthly:        make([]monthAcc, months),
		byDay:          make([]int64, days+1),
		byHour:         make([]int, days*24+1),
	}
}

func (t *tally) failed(f Failure) error {
	switch {
	case f.InvoiceID == "":
		return fmt.Errorf("world reported a failure without an invoice id")
	case t.open[f.InvoiceID] != nil:
		return fmt.Errorf("world reported invoice %s failing twice", f.InvoiceID)
	case f.Amount.Amount <= 0:
		return fmt.Errorf("world reported invoice %s failing for %d", f.InvoiceID, f.Amount.Amount)
	case t.currency == "":
		t.currency = f.Amount.Currency
	case f.Amount.Currency != t.currency:
		return fmt.Errorf("world billed invoice %s in %s after %s: a world bills in one currency", f.InvoiceID, f.Amount.Currency, t.currency)
	}
	t.open[f.InvoiceID] = &openInvoice{f: f}
	t.failedCount++
	t.failedAmount += f.Amount.Amount
	c := t.category(f.Category)
	c.failed++
	c.failedAmount += f.Amount.Amount
	if m := t.month(f.At); m != nil {
		m.failed++
		m.failedAmount += f.Amount.Amount
		a := float64(f.Amount.Amount)
		m.sumA2 += a * a
	}
	return nil
}

func (t *tally) resolved(o Outcome) error {
	inv := t.open[o.InvoiceID]
	if inv == nil {
		return fmt.Errorf("world resolved invoice %s, which is not open (unknown or resolved twice)", o.InvoiceID)
	}
	delete(t.open, o.InvoiceID)
	inv.resolved = true
	inv.outcome = o
	if t.settled != nil {
		t.settled[o.InvoiceID] = inv
	}
	f := inv.f
	cat := t.category(f.Category)
	cat.attempts += inv.attempts
	cat.messages += inv.messages
	month := t.month(f.At)
	if o.Oracle.Recoverable {
		t.oracleAmount += f.Amount.Amount
		cat.oracleAmount += f.Amount.Amount
		if month != nil {
			month.oracleAmount += f.Amount.Amount
		}
		if o.Oracle.ByRetry {
			t.oracleRetry += f.Amount.Amount
		}
	}
	t.outcomes[o.Result]++
	if o.LostToMessaging {
		t.lostToMessaging++
	}
	if o.Result != Recovered {
		return nil
	}
	if o.Amount <= 0 || o.Amount > f.Amount.Amount {
		return fmt.Errorf("world recovered %d of invoice %s, which failed for %d", o.Amount, o.InvoiceID, f.Amount.Amount)
	}
	if !o.Oracle.Recoverable || (o.By.retryOnly() && !o.Oracle.ByRetry) {
		t.oracleBeaten++
	}
	t.recoveredCount++
	t.recovered += o.Amount
	cat.recovered++
	cat.recoverAmt += o.Amount
	if month != nil {
		month.recovered += o.Amount
		a, y := float64(f.Amount.Amount), float64(o.Amount)
		month.sumAY += a * y
		month.sumY2 += y * y
	}
	m := t.mechanisms[o.By]
	if m == nil {
		m = &mechanismAcc{}
		t.mechanisms[o.By] = m
	}
	m.count++
	m.amount += o.Amount
	if o.By.retryOnly() {
		t.retryAmount += o.Amount
	}
	since := max(o.At.Sub(f.At), 0)
	t.byDay[min(int(since/(24*time.Hour)), len(t.byDay)-1)] += o.Amount
	t.byHour[min(int(since/time.Hour), len(t.byHour)-1)]++
	return nil
}

// attempt counts a charge of the invoice. The world may settle the invoice inside the call
// that charges it (a charge that pays resolves it at once), so the caller takes the open
// invoice before the call and passes it here: the charge counts in its category either way.
func (t *tally) attempt(inv *openInvoice, paid bool) {
	t.attempts++
	if paid {
		t.charged++
	}
	if inv != nil {
		inv.attempts++
		if inv.resolved {
			t.category(inv.f.Category).attempts++
		}
		if m := t.month(inv.f.At); m != nil {
			m.attempts++
			if paid {
				m.charged++
			}
		}
	}
}

// message counts a message about the invoice, taken before the send as for attempt.
func (t *tally) message(inv *openInvoice) {
	t.messages++
	if inv != nil {
		inv.messages++
		if inv.resolved {
			t.category(inv.f.Category).messages++
		}
	}
}

// stripeAttempt counts an automatic retry Stripe made: not one of recoup's attempts.
func (t *tally) stripeAttempt(paid bool) {
	t.stripeAttempts++
	if paid {
		t.stripeCharged++
	}
}

func (t *tally) violation(v Violation) {
	t.violations++
	t.violationRules[v.Rule]++
	t.fees += v.Fee
}

// unsettledAtEnd counts the invoices the world never resolved as unrecovered.
func (t *tally) unsettledAtEnd() {
	ids := make([]string, 0, len(t.open))
	for id := range t.open {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		t.unsettled++
		_ = t.resolved(Outcome{InvoiceID: id, Result: Unrecovered})
	}
}

func (t *tally) category(c recoup.Category) *categoryAcc {
	a := t.categories[c]
	if a == nil {
		a = &categoryAcc{}
		t.categories[c] = a
	}
	return a
}

func (t *tally) month(at time.Time) *monthAcc {
	y, m, _ := at.Date()
	sy, sm, _ := t.start.Date()
	i := (y-sy)*12 + int(m-sm)
	if i < 0 || i >= len(t.monthly) {
		return nil
	}
	return &t.monthly[i]
}

// major turns minor units of the run's currency into major units.
func (t *tally) major(minor int64) float64 {
	if recoup.IsZeroDecimal(t.currency) {
		return float64(minor)
	}
	return round(float64(minor)/100, 2)
}

// keepSettled makes the tally keep every settled invoice (for an experiment's units).
func (t *tally) keepSettled() { t.settled = map[string]*openInvoice{} }

// summary turns the tally into the run's summary (without the run's identity).
func (t *tally) summary() (Summary, error) {
	if t.failedCount == 0 {
		return Summary{}, fmt.Errorf("the world produced no failed invoices")
	}
	major := t.major
	s := Summary{
		Months: t.months, Currency: t.currency,
		FailedInvoices: t.failedCount, FailedAmount: major(t.failedAmount),
		RecoveredInvoices: t.recoveredCount, RecoveredAmount: major(t.recovered),
		RecoveredCountPct:             pct(int64(t.recoveredCount), int64(t.failedCount)),
		RecoveredAmountPct:            pct(t.recovered, t.failedAmount),
		Attempts:                      t.attempts,
		AttemptsPerRecovery:           ratio(int64(t.attempts), int64(t.recoveredCount)),
		RetrySuccessRate:              pct(int64(t.charged), int64(t.attempts)),
		StripeAttempts:                t.stripeAttempts,
		StripeRetrySuccessRate:        pct(int64(t.stripeCharged), int64(t.stripeAttempts)),
		StripeEmails:                  t.stripeEmails,
		History:                       t.history,
		MessagesSent:                  t.messages,
		MessagesPerRecovery:           ratio(int64(t.messages), int64(t.recoveredCount)),
		MedianDaysToRecovery:          t.quantileDays(0.5),
		P90DaysToRecovery:             t.quantileDays(0.9),
		NetworkViolations:             t.violations,
		NetworkFees:                   major(t.fees),
		ViolationsByRule:              t.violationRules,
		CustomersLostToMessaging:      t.lostToMessaging,
		OracleRecoveredAmountPct:      pct(t.oracleAmount, t.failedAmount),
		RatioToOracle:                 ratio(t.recovered, t.oracleAmount),
		RetryRecoveredAmountPct:       pct(t.retryAmount, t.failedAmount),
		OracleRetryRecoveredAmountPct: pct(t.oracleRetry, t.failedAmount),
		RatioToOracleRetry:            ratio(t.retryAmount, t.oracleRetry),
		OracleBeaten:                  t.oracleBeaten,
		JobErrors:                     t.jobErrors,
		UnsettledAtEnd:                t.unsettled,
		Outcomes:                      t.outcomes,
		ByMechanism:                   map[Mechanism]MechanismStat{},
	}
	for k, m := range t.mechanisms {
		s.ByMechanism[k] = MechanismStat{Invoices: m.count, Amount: major(m.amount), AmountPct: pct(m.amount, t.failedAmount)}
	}
	for _, c := range recoup.Categories {
		a := t.categories[c]
		if a == nil {
			continue
		}
		s.Categories = append(s.Categories, CategoryStat{
			Category: c, FailedInvoices: a.failed, FailedAmount: major(a.failedAmount),
			RecoveredCountPct: pct(int64(a.recovered), int64(a.failed)), RecoveredAmountPct: pct(a.recoverAmt, a.failedAmount),
			Attempts: a.attempts, MessagesSent: a.messages, OracleAmountPct: pct(a.oracleAmount, a.failedAmount),
		})
	}
	var cum int64
	for _, amt := range t.byDay {
		cum += amt
		s.Curve = append(s.Curve, pct(cum, t.failedAmount))
	}
	for i, m := range t.monthly {
		s.Monthly = append(s.Monthly, MonthStat{
			Month: t.start.AddDate(0, i, 0).Format("2006-01"), FailedInvoices: m.failed,
			RecoveredAmountPct: pct(m.recovered, m.failedAmount), RecoveredAmountSE: m.se(), OracleAmountPct: pct(m.oracleAmount, m.failedAmount),
			Attempts: m.attempts, RetrySuccessRate: pct(int64(m.charged), int64(m.attempts)),
		})
	}
	return s, nil
}

// quantileDays is the q-quantile of the time to recovery, in days, to the hour.
func (t *tally) quantileDays(q float64) float64 {
	if t.recoveredCount == 0 {
		return 0
	}
	need := int(math.Ceil(q * float64(t.recoveredCount)))
	seen := 0
	for h, n := range t.byHour {
		seen += n
		if seen >= need {
			return round((float64(h)+0.5)/24, 2)
		}
	}
	return round(float64(len(t.byHour))/24, 2)
}

func pct(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return round(100*float64(part)/float64(whole), 2)
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return round(float64(a)/float64(b), 3)
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// merge adds o, the tally of another shard of the same run, to t.
func (t *tally) merge(o *tally) error {
	if t.currency == "" {
		t.currency = o.currency
	}
	if o.currency != "" && o.currency != t.currency {
		return fmt.Errorf("shards billed in %s and %s: a world bills in one currency", t.currency, o.currency)
	}
	for id, inv := range o.open {
		t.open[id] = inv
	}
	t.failedCount += o.failedCount
	t.recoveredCount += o.recoveredCount
	t.failedAmount += o.failedAmount
	t.recovered += o.recovered
	t.attempts += o.attempts
	t.charged += o.charged
	t.messages += o.messages
	t.stripeAttempts += o.stripeAttempts
	t.stripeCharged += o.stripeCharged
	t.stripeEmails += o.stripeEmails
	if o.history != nil {
		if t.history == nil {
			t.history = &HistoryStat{Days: o.history.Days}
		}
		t.history.add(*o.history)
	}
	t.jobErrors += o.jobErrors
	t.unsettled += o.unsettled
	t.violations += o.violations
	t.fees += o.fees
	t.lostToMessaging += o.lostToMessaging
	t.oracleBeaten += o.oracleBeaten
	t.oracleAmount += o.oracleAmount
	t.oracleRetry += o.oracleRetry
	t.retryAmount += o.retryAmount
	for k, n := range o.violationRules {
		t.violationRules[k] += n
	}
	for k, n := range o.outcomes {
		t.outcomes[k] += n
	}
	for k, m := range o.mechanisms {
		acc := t.mechanisms[k]
		if acc == nil {
			acc = &mechanismAcc{}
			t.mechanisms[k] = acc
		}
		acc.count += m.count
		acc.amount += m.amount
	}
	for k, c := range o.categories {
		acc := t.category(k)
		acc.failed += c.failed
		acc.recovered += c.recovered
		acc.failedAmount += c.failedAmount
		acc.recoverAmt += c.recoverAmt
		acc.oracleAmount += c.oracleAmount
		acc.attempts += c.attempts
		acc.messages += c.messages
	}
	for i := range o.monthly {
		t.monthly[i].failed += o.monthly[i].failed
		t.monthly[i].failedAmount += o.monthly[i].failedAmount
		t.monthly[i].recovered += o.monthly[i].recovered
		t.monthly[i].oracleAmount += o.monthly[i].oracleAmount
		t.monthly[i].attempts += o.monthly[i].attempts
		t.monthly[i].charged += o.monthly[i].charged
		t.monthly[i].sumA2 += o.monthly[i].sumA2
		t.monthly[i].sumAY += o.monthly[i].sumAY
		t.monthly[i].sumY2 += o.monthly[i].sumY2
	}
	for i := range o.byDay {
		t.byDay[i] += o.byDay[i]
	}
	for i := range o.byHour {
		t.byHour[i] += o.byHour[i]
	}
	return nil
}
