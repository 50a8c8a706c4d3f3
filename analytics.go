package recoup

import (
	"context"
	"slices"
	"time"
)

// Tally is a number of cases and the sum of their amounts, in one currency's minor unit.
type Tally struct {
	Count  int64 `json:"count"`
	Amount int64 `json:"amount"`
}

func (t *Tally) add(count, amount int64) { t.Count += count; t.Amount += amount }

// CategoryTally is how the cases of one decline category fared.
type CategoryTally struct {
	Failed    Tally `json:"failed"`
	Recovered Tally `json:"recovered"`
}

// CurrencyOverview is the overview of the cases in one currency: amounts of different
// currencies are never added together.
type CurrencyOverview struct {
	Currency   string `json:"currency"`
	Failed     Tally  `json:"failed"`      // every case opened in the period
	Recovered  Tally  `json:"recovered"`   // of those, paid
	InRecovery Tally  `json:"in_recovery"` // of those, still active or paused
	// Lost are the cases recovery gave up on (exhausted) or that were closed unpaid (voided,
	// cancelled): involuntary churn.
	Lost        Tally                      `json:"lost"`
	ByMechanism map[RecoveredBy]Tally      `json:"by_mechanism"`
	ByCategory  map[Category]CategoryTally `json:"by_category"`
	// BySegment is how the cases of each policy segment fared. Cases opened before segments
	// existed are under "".
	BySegment map[string]CategoryTally `json:"by_segment"`
}

// RateByCount is the share of the period's cases that were recovered, from 0 to 1.
func (c CurrencyOverview) RateByCount() float64 { return ratio(c.Recovered.Count, c.Failed.Count) }

// RateByAmount is the share of the period's failed amount that was recovered, from 0 to 1.
func (c CurrencyOverview) RateByAmount() float64 { return ratio(c.Recovered.Amount, c.Failed.Amount) }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// RecoveryBucket counts the recovered cases whose time from opening to payment was at most
// MaxHours (and more than the previous bucket's). The last bucket has MaxHours 0: no bound.
type RecoveryBucket struct {
	Label    string `json:"label"`
	MaxHours int64  `json:"max_hours,omitempty"`
	Count    int64  `json:"count"`
}

// recoveryBuckets are the time-to-recovery buckets, in hours. The stores' rollups keep finer
// bounds (migration 00019 adds 720 beside 672): a rollup row counts in the bucket its lower
// bound falls in.
var recoveryBuckets = []RecoveryBucket{
	{Label: "< 1 day", MaxHours: 24}, {Label: "1-3 days", MaxHours: 72}, {Label: "3-7 days", MaxHours: 168},
	{Label: "1-2 weeks", MaxHours: 336}, {Label: "2 weeks-30 days", MaxHours: 720}, {Label: "> 30 days"},
}

// Overview is what happened to the cases opened in [From, To): the dashboard's first page and
// the analytics API's answer.
type Overview struct {
	From           time.Time               `json:"from"`
	To             time.Time               `json:"to"`
	Currencies     []CurrencyOverview      `json:"currencies"` // largest failed amount first
	TimeToRecovery []RecoveryBucket        `json:"time_to_recovery"`
	Messages       map[MessageStatus]int64 `json:"messages"` // messages created in the period, by status
}

// The days a reporting period may span: before the first, recoup kept nothing; after the
// last, a period's end (the day after it) would not even have a four-digit year.
var (
	FirstReportDay = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	LastReportDay  = time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// CheckReportDays reports an EINVALID error unless from and to (both included) are days in
// order between FirstReportDay and LastReportDay.
func CheckReportDays(from, to time.Time) error {
	if from.Before(FirstReportDay) || to.After(LastReportDay) {
		return Errorf(EINVALID, "the period must lie between %s and %s", FirstReportDay.Format(time.DateOnly), LastReportDay.Format(time.DateOnly))
	}
	if to.Before(from) {
		return Errorf(EINVALID, "the period's first day comes after its last")
	}
	return nil
}

// NewOverview returns an empty overview of [from, to), for a store to fill with AddCases,
// AddRecoveries and AddMessages.
func NewOverview(from, to time.Time) Overview {
	return Overview{From: from.UTC(), To: to.UTC(), Currencies: []CurrencyOverview{},
		TimeToRecovery: slices.Clone(recoveryBuckets), Messages: map[MessageStatus]int64{}}
}

// OverviewRow is one group of the period's cases, as a store's GROUP BY returns it.
type OverviewRow struct {
	Currency    string
	State       CaseState
	Category    Category
	RecoveredBy RecoveredBy
	Count       int64
	Amount      int64
}

// AddCases counts a group of cases.
func (o *Overview) AddCases(r OverviewRow) {
	i := slices.IndexFunc(o.Currencies, func(c CurrencyOverview) bool { return c.Currency == r.Currency })
	if i < 0 {
		o.Currencies = append(o.Currencies, CurrencyOverview{Currency: r.Currency,
			ByMechanism: map[RecoveredBy]Tally{}, ByCategory: map[Category]CategoryTally{}, BySegment: map[string]CategoryTally{}})
		i = len(o.Currencies) - 1
	}
	c := &o.Currencies[i]
	c.Failed.add(r.Count, r.Amount)
	ct := c.ByCategory[r.Category]
	ct.Failed.add(r.Count, r.Amount)
	switch {
	case r.State == StateRecovered:
		c.Recovered.add(r.Count, r.Amount)
		ct.Recovered.add(r.Count, r.Amount)
		m := c.ByMechanism[r.RecoveredBy]
		m.add(r.Count, r.Amount)
		c.ByMechanism[r.RecoveredBy] = m
	case r.State.Active() || r.State == StatePaused || r.State == StatePlanning:
		c.InRecovery.add(r.Count, r.Amount)
	default:
		c.Lost.add(r.Count, r.Amount)
	}
	c.ByCategory[r.Category] = ct
	slices.SortStableFunc(o.Currencies, func(a, b CurrencyOverview) int {
		if a.Failed.Amount != b.Failed.Amount {
			return int(min(max(b.Failed.Amount-a.Failed.Amount, -1), 1))
		}
		return 0
	})
}

// SegmentRow is one group of the period's cases by segment, as a store's GROUP BY returns it.
type SegmentRow struct {
	Currency string
	Segment  string
	State    CaseState
	Count    int64
	Amount   int64
}

// AddSegment counts a group of cases in its segment. The cases themselves are counted by
// AddCases: this only splits them by segment.
func (o *Overview) AddSegment(r SegmentRow) {
	i := slices.IndexFunc(o.Currencies, func(c CurrencyOverview) bool { return c.Currency == r.Currency })
	if i < 0 {
		return // no case of the currency in the period: a store reads cases and segments alike
	}
	c := &o.Currencies[i]
	if c.BySegment == nil {
		c.BySegment = map[string]CategoryTally{}
	}
	t := c.BySegment[r.Segment]
	t.Failed.add(r.Count, r.Amount)
	if r.State == StateRecovered {
		t.Recovered.add(r.Count, r.Amount)
	}
	c.BySegment[r.Segment] = t
}

// AddRecoveries counts n recovered cases that took hours (rounded down) from opening to payment.
func (o *Overview) AddRecoveries(hours, n int64) {
	for i := range o.TimeToRecovery {
		b := &o.TimeToRecovery[i]
		if b.MaxHours == 0 || hours < b.MaxHours {
			b.Count += n
			return
		}
	}
}

// AddMessages counts n messages of the status.
func (o *Overview) AddMessages(status MessageStatus, n int64) { o.Messages[status] += n }

// CaseQuery selects cases for the dashboard's list and exports: every field narrows the
// selection, and the zero value of each means "any". Results are ordered by ID, newest first.
type CaseQuery struct {
	States        []CaseState // any of these
	Category      Category
	RecoveredBy   RecoveredBy
	Currency      string
	MinAmount     int64     // minor units; 0: no lower bound
	MaxAmount     int64     // minor units; 0: no upper bound
	CreatedFrom   time.Time // opened at or after
	CreatedTo     time.Time // opened before
	CustomerEmail string    // exact, case-insensitive
	Segment       string    // the policy segment the case was sorted into
	ReviewPending bool      // only the cases whose final action waits for an operator's approval
	Before        int64     // keyset cursor
	Limit         int       // 1..MaxCaseLimit; 0 means 50
	// CountUpTo, when above 0, also counts the matching cases (on every page, whatever
	// Before) up to this many, into CasePage.Total: a bound keeps the count cheap.
	CountUpTo int
}

// Validate reports an EINVALID error for a query no store can run.
func (q CaseQuery) Validate() error {
	switch {
	case slices.ContainsFunc(q.States, func(s CaseState) bool { return !s.Valid() }):
		return Errorf(EINVALID, "states %v: not all are case states", q.States)
	case q.Limit < 0 || q.Limit > MaxCaseLimit:
		return Errorf(EINVALID, "limit %d is not between 1 and %d", q.Limit, MaxCaseLimit)
	case q.Before < 0:
		return Errorf(EINVALID, "negative cursor %d", q.Before)
	case q.MinAmount < 0 || q.MaxAmount < 0:
		return Errorf(EINVALID, "negative amount bound")
	case q.CountUpTo < 0:
		return Errorf(EINVALID, "negative count bound %d", q.CountUpTo)
	}
	return nil
}

// IntakeStatus is the state of webhook intake, for the operations page.
type IntakeStatus struct {
	LastReceivedAt time.Time `json:"last_received_at,omitzero"`
	LastType       string    `json:"last_type,omitempty"`
	Pending        int64     `json:"pending"` // stored, not processed yet
	Failed         int64     `json:"failed"`  // processing gave up
	// OldestPendingAt is when the oldest event still waiting to be processed was received:
	// the intake's lag is now minus this. Zero when nothing waits.
	OldestPendingAt time.Time `json:"oldest_pending_at,omitzero"`
}

// AnalyticsStore answers the dashboard's aggregate and search queries. Every query is served
// by an index (migration 00004), never by scanning all cases. The sqlite and postgres stores
// implement it; storetest.RunAccess specifies it.
type AnalyticsStore interface {
	// ReadAnalytics calls read with a reader on one snapshot of the store: a read-only
	// transaction whose reads all see the same committed state, whatever commits meanwhile.
	// The figures of one page come from one snapshot, so that they add up (a case that opens
	// while the page is read is in all of its figures or in none).
	ReadAnalytics(ctx context.Context, read func(AnalyticsReader) error) error
	// Overview aggregates the cases opened in [from, to), in one snapshot.
	Overview(ctx context.Context, from, to time.Time) (Overview, error)
	// SearchCases lists the cases matching q, newest first.
	SearchCases(ctx context.Context, q CaseQuery) (CasePage, error)
	// Intake reports on the stored webhook events, in one snapshot.
	Intake(ctx context.Context) (IntakeStatus, error)
}

// AnalyticsReader reads figures inside AnalyticsStore.ReadAnalytics. Each method runs several
// queries; all of them, and all the reader's calls, see the same snapshot.
type AnalyticsReader interface {
	// Overview aggregates the cases opened in [from, to).
	Overview(from, to time.Time) (Overview, error)
	// Intake reports on the stored webhook events.
	Intake() (IntakeStatus, error)
}
