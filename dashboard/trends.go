package dashboard

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
)

// The overview's trends are weekly cohorts: the cases whose payment first failed in a week
// (Monday to Sunday, UTC), and what became of them. Each week is the store's own overview of
// that week, all read in one snapshot, so the weeks add up to the period's figures and cost
// what the overview costs per day (rollups), never a scan of the cases.

// cohortDays are the ages at which the cohort chart reads each week's recovery: each is a
// bound of the time-to-recovery buckets (recoup.Overview.TimeToRecovery).
var cohortDays = []int{7, 14, 30}

// maxTrendWeeks bounds a trend: a year and a week.
const maxTrendWeeks = 53

// week is one cohort: the overview of the cases that opened in it.
type week struct {
	Start time.Time
	recoup.Overview
}

// End is the exclusive end of the week.
func (w week) End() time.Time { return w.Start.AddDate(0, 0, 7) }

// trendWeeks are the weeks a trend of the period shows: those that overlap it, at least eight
// (a short period still shows where it stands), at most maxTrendWeeks (the latest).
func trendWeeks(p period) []time.Time {
	last := monday(p.To)
	n := int(last.Sub(monday(p.From)).Hours()/(24*7)) + 1
	n = min(max(n, 8), maxTrendWeeks)
	out := make([]time.Time, n)
	for i := range n {
		out[i] = last.AddDate(0, 0, -7*(n-1-i))
	}
	return out
}

// monday is the Monday (UTC midnight) of t's week.
func monday(t time.Time) time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// readWeeks reads the overview of each week in one snapshot.
func (d *Dashboard) readWeeks(ctx context.Context, starts []time.Time) ([]week, error) {
	weeks := make([]week, len(starts))
	err := d.cfg.Analytics.ReadAnalytics(ctx, func(r recoup.AnalyticsReader) error {
		for i, s := range starts {
			o, err := r.Overview(s, s.AddDate(0, 0, 7))
			if err != nil {
				return err
			}
			weeks[i] = week{Start: s, Overview: o}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("weekly trends: %w", err)
	}
	return weeks, nil
}

// currencyOf is the week's overview in cur; zero when no case of it opened that week.
func (w week) currencyOf(cur string) recoup.CurrencyOverview {
	for _, c := range w.Currencies {
		if c.Currency == cur {
			return c
		}
	}
	return recoup.CurrencyOverview{Currency: cur}
}

// failedCount is the number of cases the week opened, in every currency.
func (w week) failedCount() int64 {
	var n int64
	for _, c := range w.Currencies {
		n += c.Failed.Count
	}
	return n
}

// recoveredWithin counts the week's cases recovered at most days after they opened.
func (w week) recoveredWithin(days int) int64 {
	var n int64
	for _, b := range w.TimeToRecovery {
		if b.MaxHours > 0 && b.MaxHours <= int64(days)*24 {
			n += b.Count
		}
	}
	return n
}

// cohortRate is the share of the week's cases recovered within days, in percent; NaN while
// the week's last cases are younger than that (the figure could still grow) or the week had
// no case.
func cohortRate(w week, days int, now time.Time) float64 {
	if n := w.failedCount(); n == 0 || w.End().AddDate(0, 0, days).After(now) {
		return math.NaN()
	}
	return 100 * float64(w.recoveredWithin(days)) / float64(w.failedCount())
}

// weekLabel names a week by its Monday: "4 May".
func weekLabel(t time.Time) string { return t.Format("2 Jan") }

// trendCharts are the weekly charts of one currency: the cases that failed and how many were
// recovered, and where the money stands (recovered, still at risk, lost).
func (d *Dashboard) currencyTrends(cur string, weeks []week) []trendChart {
	labels := make([]string, len(weeks))
	var (
		rec, rest           = trendSeries{Name: "recovered", Class: "t-rec"}, trendSeries{Name: "not recovered (yet)", Class: "t-rest"}
		mRec, mRisk, mLost  = trendSeries{Name: "recovered", Class: "t-rec"}, trendSeries{Name: "at risk (still in recovery)", Class: "t-risk"}, trendSeries{Name: "lost", Class: "t-lost"}
		countTips, moneyTip []string
		hrefs               []string
	)
	money := func(a int64) string { return d.money.format(a, cur) }
	major := func(a int64) float64 {
		if recoup.IsZeroDecimal(cur) {
			return float64(a)
		}
		return float64(a) / 100
	}
	for i, w := range weeks {
		c := w.currencyOf(cur)
		labels[i] = weekLabel(w.Start)
		rec.Values = append(rec.Values, float64(c.Recovered.Count))
		rest.Values = append(rest.Values, float64(c.Failed.Count-c.Recovered.Count))
		mRec.Values = append(mRec.Values, major(c.Recovered.Amount))
		mRisk.Values = append(mRisk.Values, major(c.InRecovery.Amount))
		mLost.Values = append(mLost.Values, major(c.Lost.Amount))
		head := "Week of " + w.Start.Format("2 Jan 2006") + ": "
		countTips = append(countTips, fmt.Sprintf("%s%s failed, %d recovered (%.0f%%)", head, invoicesWord(c.Failed.Count), c.Recovered.Count, 100*frac(c.Recovered.Count, c.Failed.Count)))
		moneyTip = append(moneyTip, fmt.Sprintf("%s%s failed: %s recovered, %s at risk, %s lost", head, money(c.Failed.Amount), money(c.Recovered.Amount), money(c.InRecovery.Amount), money(c.Lost.Amount)))
		hrefs = append(hrefs, d.prefix+"/cases?"+queryString("currency", cur, "from", w.Start.Format(time.DateOnly), "to", w.Start.AddDate(0, 0, 6).Format(time.DateOnly)))
	}
	counts := []trendSeries{rec, rest}
	amounts := []trendSeries{mRec, mRisk, mLost}
	return []trendChart{
		{Title: "Failed and recovered invoices per week", Note: "by the week the payment first failed; a column links to its cases",
			Legend: legend(counts), SVG: stackedBars(labels, counts, countTips, hrefs, compact, true)},
		{Title: "Money at risk and recovered", Note: "each week's failed amount: recovered, still in recovery, or lost",
			Legend: legend(amounts), SVG: stackedBars(labels, amounts, moneyTip, hrefs, d.moneyTick(cur), false)},
	}
}

// cohortTrend is the recovery rate of each week's cases after 7, 14 and 30 days (every
// currency, by count). A week shows a rate only once all its cases are that old.
func cohortTrend(weeks []week, now time.Time) trendChart {
	labels := make([]string, len(weeks))
	ss := make([]trendSeries, len(cohortDays))
	for k, days := range cohortDays {
		ss[k] = trendSeries{Name: fmt.Sprintf("within %d days", days), Class: fmt.Sprintf("l-%d", days)}
	}
	tips := make([]string, len(weeks))
	for i, w := range weeks {
		labels[i] = weekLabel(w.Start)
		tips[i] = "Week of " + w.Start.Format("2 Jan 2006") + ": " + invoicesWord(w.failedCount()) + " failed"
		for k, days := range cohortDays {
			v := cohortRate(w, days, now)
			ss[k].Values = append(ss[k].Values, v)
			if math.IsNaN(v) {
				tips[i] += fmt.Sprintf("; %d days: not yet", days)
			} else {
				tips[i] += fmt.Sprintf("; %d days: %.0f%%", days, v)
			}
		}
	}
	return trendChart{Title: "Recovery rate by week of first failure",
		Note:   "share of each week's failed invoices recovered within 7, 14 and 30 days; a week shows once all its invoices are that old",
		Legend: legend(ss), SVG: lines(labels, ss, tips, 100, func(v float64) string { return fmt.Sprintf("%.0f%%", v) })}
}

// moneyTick writes an axis amount briefly with the currency's symbol where the locale puts
// it: "$12k".
func (d *Dashboard) moneyTick(cur string) func(float64) string {
	zero := d.money.format(0, cur)
	first := strings.IndexAny(zero, "0123456789")
	last := strings.LastIndexAny(zero, "0123456789")
	if first < 0 {
		return compact
	}
	before, after := zero[:first], zero[last+1:]
	return func(v float64) string { return before + compact(v) + after }
}

func legend(ss []trendSeries) []legendItem {
	out := make([]legendItem, len(ss))
	for i, s := range ss {
		out[i] = legendItem{s.Name, s.Class}
	}
	return out
}

func invoicesWord(n int64) string {
	if n == 1 {
		return "1 invoice"
	}
	return fmt.Sprintf("%d invoices", n)
}
