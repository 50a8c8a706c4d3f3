package dashboard

import (
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/recoup-hq/recoup"
)

// periods are the overview's preset periods, in days.
var periods = []int{7, 30, 90, 365}

// period is a range of whole UTC days, From to To inclusive.
type period struct {
	From, To time.Time // midnights; To is the last day included
	Days     int       // the preset chosen, 0 for a custom range
}

// end is the exclusive end of the period.
func (p period) end() time.Time { return p.To.AddDate(0, 0, 1) }

// FromDate and ToDate are the period as the case list's query parameters.
func (p period) FromDate() string { return p.From.Format(time.DateOnly) }
func (p period) ToDate() string   { return p.To.Format(time.DateOnly) }

// parsePeriod reads ?days=N or ?from=YYYY-MM-DD&to=YYYY-MM-DD; the default is the last 30 days,
// today included.
func parsePeriod(r *http.Request, now time.Time) (period, error) {
	q := r.URL.Query()
	today := now.UTC().Truncate(24 * time.Hour)
	if q.Get("from") != "" || q.Get("to") != "" {
		from, err1 := time.Parse(time.DateOnly, q.Get("from"))
		to, err2 := time.Parse(time.DateOnly, q.Get("to"))
		if err1 != nil || err2 != nil || to.Before(from) {
			return period{}, recoup.Errorf(recoup.EINVALID, "the period needs from and to dates (YYYY-MM-DD), from first")
		}
		if err := recoup.CheckReportDays(from, to); err != nil {
			return period{}, err
		}
		return period{From: from, To: to}, nil
	}
	days := 30
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(periods, n) {
			return period{}, recoup.Errorf(recoup.EINVALID, "days must be one of %v", periods)
		}
		days = n
	}
	return period{From: today.AddDate(0, 0, 1-days), To: today, Days: days}, nil
}

// bar is one bar of a chart: its label, the value shown, its length from 0 to 1, and the
// case list behind it.
type bar struct {
	Label, Value string
	Frac         float64
	Href         string
}

// chart is a horizontal bar chart. Its labels and values are HTML text, at the page's font
// size; only the bars are SVG (a rect's width is an attribute, which the content security
// policy allows where an inline style would not be).
type chart struct {
	Title string
	Bars  []bar
}

// Pct is the bar's length in percent of the plot, at least 0.5 so that a non-zero value shows.
func (b bar) Pct() float64 {
	if b.Frac <= 0 {
		return 0
	}
	return max(0.5, 100*min(b.Frac, 1))
}

// currencyView is one currency's section of the overview.
type currencyView struct {
	recoup.CurrencyOverview
	Mechanisms chart
	Categories chart
	Segments   chart
	// Links to the case lists behind the numbers.
	LinkFailed, LinkRecovered, LinkActive, LinkLost string
	// Trends are the currency's weekly charts.
	Trends []trendChart
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request, u *viewer) error {
	p, err := parsePeriod(r, d.dataNow())
	if err != nil {
		return err
	}
	o, err := d.cfg.Analytics.Overview(r.Context(), p.From, p.end())
	if err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	link := func(kv ...string) string {
		return d.prefix + "/cases?" + queryString(append([]string{"from", p.FromDate(), "to", p.ToDate()}, kv...)...)
	}
	weeks, err := d.readWeeks(r.Context(), trendWeeks(p))
	if err != nil {
		return err
	}
	var views []currencyView
	for _, c := range o.Currencies {
		v := currencyView{CurrencyOverview: c, Mechanisms: chart{Title: "Recovered by"}, Categories: chart{Title: "Recovery by decline category"},
			LinkFailed: link("currency", c.Currency), LinkRecovered: link("currency", c.Currency, "state", string(recoup.StateRecovered)),
			LinkActive: link("currency", c.Currency, "state", "active"), LinkLost: link("currency", c.Currency, "state", "lost")}
		for _, by := range recoup.RecoveryMechanisms {
			t := c.ByMechanism[by]
			v.Mechanisms.Bars = append(v.Mechanisms.Bars, bar{Label: by.Words(),
				Value: d.money.format(t.Amount, c.Currency), Frac: frac(t.Amount, c.Recovered.Amount),
				Href: link("currency", c.Currency, "state", string(recoup.StateRecovered), "recovered_by", string(by))})
		}
		for _, cat := range append([]recoup.Category{recoup.CategoryUnknown}, recoup.Categories...) {
			t, ok := c.ByCategory[cat]
			if !ok {
				continue
			}
			v.Categories.Bars = append(v.Categories.Bars, bar{Label: words(categoryWords, cat),
				Value: fmt.Sprintf("%d of %d (%.0f%%)", t.Recovered.Count, t.Failed.Count, 100*frac(t.Recovered.Count, t.Failed.Count)),
				Frac:  frac(t.Recovered.Count, t.Failed.Count), Href: link("currency", c.Currency, "category", string(cat))})
		}
		v.Segments = segmentChart(c, link)
		v.Trends = d.currencyTrends(c.Currency, weeks)
		views = append(views, v)
	}
	ttr := chart{Title: "Time to recovery"}
	var most int64
	for _, b := range o.TimeToRecovery {
		most = max(most, b.Count)
	}
	for _, b := range o.TimeToRecovery {
		ttr.Bars = append(ttr.Bars, bar{Label: b.Label, Value: strconv.FormatInt(b.Count, 10), Frac: frac(b.Count, most)})
	}
	var sent int64
	for _, n := range o.Messages {
		sent += n
	}
	msgs := chart{Title: "Messages to customers"}
	for _, st := range []recoup.MessageStatus{recoup.MessageSent, recoup.MessagePending, recoup.MessageSkipped, recoup.MessageFailed} {
		if n := o.Messages[st]; n > 0 {
			msgs.Bars = append(msgs.Bars, bar{Label: words(messageStatusWords, st), Value: strconv.FormatInt(n, 10), Frac: frac(n, sent)})
		}
	}
	d.render(w, r, http.StatusOK, "overview", u, map[string]any{
		"Period": p, "Periods": periods, "Currencies": views, "TimeToRecovery": ttr,
		"Messages": msgs, "MessagesTotal": sent, "Cohorts": cohortTrend(weeks, d.dataNow()),
	})
	return nil
}

func frac(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// segmentChart is the recovery rate of each policy segment, by count, each bar linking to the
// segment's cases. Cases opened before segments existed have none, and no link: the case list
// cannot select the empty segment.
func segmentChart(c recoup.CurrencyOverview, link func(kv ...string) string) chart {
	ch := chart{Title: "Recovery by segment"}
	names := slices.Sorted(maps.Keys(c.BySegment))
	if len(names) > 0 && names[0] == "" {
		names = append(names[1:], "") // last: the chart lists its links when the first bar has one
	}
	for _, name := range names {
		t := c.BySegment[name]
		b := bar{Label: name, Value: fmt.Sprintf("%d of %d (%.0f%%)", t.Recovered.Count, t.Failed.Count, 100*frac(t.Recovered.Count, t.Failed.Count)),
			Frac: frac(t.Recovered.Count, t.Failed.Count)}
		if name == "" {
			b.Label = "(none)"
		} else {
			b.Href = link("currency", c.Currency, "segment", name)
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// overviewCSV exports the overview of the period as one row per figure: currency, measure,
// key (the mechanism, category or bucket, if any), count and amount (in major units).
func (d *Dashboard) overviewCSV(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	p, err := parsePeriod(r, d.dataNow())
	if err != nil {
		return err
	}
	o, err := d.cfg.Analytics.Overview(r.Context(), p.From, p.end())
	if err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="recoup-overview-%s-%s.csv"`, p.FromDate(), p.ToDate()))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"from", "to", "currency", "measure", "key", "count", "amount"})
	row := func(cur, measure, key string, t recoup.Tally) {
		amount := ""
		if cur != "" {
			amount = recoup.Money{Amount: t.Amount, Currency: cur}.String()
		}
		_ = cw.Write([]string{p.FromDate(), p.ToDate(), cur, measure, key, strconv.FormatInt(t.Count, 10), amount})
	}
	for _, c := range o.Currencies {
		row(c.Currency, "failed", "", c.Failed)
		row(c.Currency, "recovered", "", c.Recovered)
		row(c.Currency, "in_recovery", "", c.InRecovery)
		row(c.Currency, "lost", "", c.Lost)
		for _, by := range recoup.RecoveryMechanisms {
			row(c.Currency, "recovered_by", string(by), c.ByMechanism[by])
		}
		for _, cat := range append([]recoup.Category{recoup.CategoryUnknown}, recoup.Categories...) {
			if t, ok := c.ByCategory[cat]; ok {
				row(c.Currency, "category_failed", string(cat), t.Failed)
				row(c.Currency, "category_recovered", string(cat), t.Recovered)
			}
		}
	}
	for _, c := range o.Currencies {
		for _, name := range slices.Sorted(maps.Keys(c.BySegment)) {
			row(c.Currency, "segment_failed", name, c.BySegment[name].Failed)
			row(c.Currency, "segment_recovered", name, c.BySegment[name].Recovered)
		}
	}
	for _, b := range o.TimeToRecovery {
		row("", "time_to_recovery", b.Label, recoup.Tally{Count: b.Count})
	}
	for _, st := range []recoup.MessageStatus{recoup.MessageSent, recoup.MessageFailed, recoup.MessageSkipped, recoup.MessagePending} {
		row("", "messages", string(st), recoup.Tally{Count: o.Messages[st]})
	}
	cw.Flush()
	return cw.Error()
}
