package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/recoup-hq/recoup"
)

// CaseCounter counts cases by state. recoup.Store satisfies it.
type CaseCounter interface {
	CountCases(ctx context.Context) (map[recoup.CaseState]int, error)
}

var _ CaseCounter = recoup.Store(nil)

// countTimeout bounds the query a scrape makes: a slow database must not hold scrapes (and
// their connections) open until Prometheus gives up on its own.
const countTimeout = 3 * time.Second

// caseCollector reports the number of cases per state, read from the store at scrape time
// rather than kept in a gauge: the store is shared by every process, and a gauge each process
// updated would drift from it.
type caseCollector struct {
	cases   CaseCounter
	timeout time.Duration
	byState *prometheus.Desc
	failed  *prometheus.Desc
}

func newCaseCollector(cases CaseCounter) *caseCollector {
	return &caseCollector{
		cases:   cases,
		timeout: countTimeout,
		byState: prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "cases"),
			"Recovery cases, by state, as the store counts them at scrape time.",
			[]string{"state"}, nil),
		failed: prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "cases_scrape_error"),
			"1 if counting the cases failed during this scrape (recoup_cases is then absent), 0 otherwise.",
			nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *caseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.byState
	ch <- c.failed
}

// Collect implements prometheus.Collector. A failed count reports recoup_cases_scrape_error 1
// and no recoup_cases series: absent is honest, zeros would claim there are no cases.
func (c *caseCollector) Collect(ch chan<- prometheus.Metric) {
	// Collect receives no context; the scrape's own deadline is not visible here.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	counts, err := c.cases.CountCases(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, 0)
	for _, s := range recoup.CaseStates {
		ch <- prometheus.MustNewConstMetric(c.byState, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
