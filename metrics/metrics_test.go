package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/recoup-hq/recoup"
)

// The prometheus/testutil package needs github.com/kylelemons/godebug, which go.sum does not
// list yet; these helpers read the registry through Gather, which is what testutil does.

// family returns the gathered metric family called name, failing the test if it is absent.
func family(t *testing.T, g prometheus.Gatherer, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	t.Fatalf("metric %s not gathered", name)
	return nil
}

// series returns the series of family name whose labels are exactly labels ("k=v" pairs),
// failing the test if there is none.
func series(t *testing.T, g prometheus.Gatherer, name string, labels ...string) *dto.Metric {
	t.Helper()
	mf := family(t, g, name)
	for _, m := range mf.GetMetric() {
		if labelString(m) == strings.Join(labels, ",") {
			return m
		}
	}
	t.Fatalf("%s{%s} not gathered; have %s", name, strings.Join(labels, ","), seriesList(mf))
	return nil
}

// value returns the value of a counter or gauge series.
func value(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	m := series(t, g, name, labels...)
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s is neither a counter nor a gauge", name)
	return 0
}

func labelString(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

func seriesList(mf *dto.MetricFamily) string {
	var s []string
	for _, m := range mf.GetMetric() {
		s = append(s, "{"+labelString(m)+"}")
	}
	return strings.Join(s, " ")
}

func TestWebhookCounters(t *testing.T) {
	m := New(nil)
	m.WebhookReceived()
	m.WebhookReceived()
	m.WebhookReceived()
	m.WebhookDuplicate()
	m.WebhookRejected(RejectBadSignature)
	m.WebhookRejected(RejectBadSignature)
	m.WebhookRejected("a reason nobody declared")

	g := m.Registry()
	if got := value(t, g, "recoup_webhooks_received_total"); got != 3 {
		t.Errorf("received = %v, want 3", got)
	}
	if got := value(t, g, "recoup_webhooks_duplicate_total"); got != 1 {
		t.Errorf("duplicate = %v, want 1", got)
	}
	for _, tc := range []struct {
		reason string
		want   float64
	}{
		{RejectBadSignature, 2},
		{RejectTooLarge, 0}, // present from the start
		{RejectMalformed, 0},
		{RejectMethod, 0},
		{"other", 1},
	} {
		if got := value(t, g, "recoup_webhooks_rejected_total", "reason="+tc.reason); got != tc.want {
			t.Errorf("rejected{reason=%s} = %v, want %v", tc.reason, got, tc.want)
		}
	}
}

func TestEventProcessedBoundsTheTypeLabel(t *testing.T) {
	m := New(nil)
	m.EventProcessed("invoice.payment_failed", "processed")
	m.EventProcessed("invoice.payment_failed", "processed")
	m.EventProcessed("customer.updated", "ignored")
	m.EventProcessed("product.created", "ignored")
	m.EventProcessed("evt_made_up."+strings.Repeat("x", 50), "ignored")
	m.EventProcessed("invoice.paid", "exploded")

	g := m.Registry()
	for _, tc := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"result=processed", "type=invoice.payment_failed"}, 2},
		{[]string{"result=ignored", "type=customer.updated"}, 1},
		{[]string{"result=ignored", "type=other"}, 2},
		{[]string{"result=other", "type=invoice.paid"}, 1},
	} {
		if got := value(t, g, "recoup_events_processed_total", tc.labels...); got != tc.want {
			t.Errorf("events_processed{%v} = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if n := len(family(t, g, "recoup_events_processed_total").GetMetric()); n != 4 {
		t.Errorf("events_processed has %d series, want 4", n)
	}
}

func TestAttemptFinished(t *testing.T) {
	m := New(nil)
	m.AttemptFinished(string(recoup.AttemptSucceeded))
	m.AttemptFinished(string(recoup.AttemptDeclined))
	m.AttemptFinished(string(recoup.AttemptDeclined))
	m.AttemptFinished(string(recoup.AttemptPending)) // not a final outcome

	g := m.Registry()
	for outcome, want := range map[string]float64{"succeeded": 1, "declined": 2, "error": 0, "other": 1} {
		if got := value(t, g, "recoup_charge_attempts_total", "outcome="+outcome); got != want {
			t.Errorf("charge_attempts{outcome=%s} = %v, want %v", outcome, got, want)
		}
	}
}

func TestJobLag(t *testing.T) {
	m := New(nil)
	m.JobLag(string(recoup.JobAct), 20*time.Millisecond)
	m.JobLag(string(recoup.JobAct), 2*time.Hour)
	m.JobLag(string(recoup.JobAct), -time.Second) // ran early: counts as no lag

	h := series(t, m.Registry(), "recoup_job_lag_seconds", "kind=act").GetHistogram()
	if h.GetSampleCount() != 3 {
		t.Errorf("sample count = %d, want 3", h.GetSampleCount())
	}
	if want := 0.02 + 7200; h.GetSampleSum() != want {
		t.Errorf("sample sum = %v, want %v", h.GetSampleSum(), want)
	}
	buckets := h.GetBucket()
	if first, last := buckets[0].GetUpperBound(), buckets[len(buckets)-1].GetUpperBound(); first != 0.01 || last != 3600 {
		t.Errorf("buckets span %v..%v s, want 0.01..3600", first, last)
	}
	for _, b := range buckets {
		var want uint64
		switch {
		case b.GetUpperBound() < 0.025:
			want = 1 // the early job
		case b.GetUpperBound() < 7200:
			want = 2
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v holds %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}

func TestStripeError(t *testing.T) {
	m := New(nil)
	m.StripeError("rate_limit")
	m.StripeError("rate_limit")
	m.StripeError("api")
	if got := value(t, m.Registry(), "recoup_stripe_errors_total", "kind=rate_limit"); got != 2 {
		t.Errorf("stripe_errors{kind=rate_limit} = %v, want 2", got)
	}
}

func TestStripeKey(t *testing.T) {
	m := New(nil)
	if got := value(t, m.Registry(), "recoup_stripe_key_refused"); got != 0 {
		t.Errorf("stripe_key_refused at start = %v, want 0", got)
	}
	m.StripeKey(true, 2)
	if r, d := value(t, m.Registry(), "recoup_stripe_key_refused"), value(t, m.Registry(), "recoup_stripe_permissions_denied"); r != 1 || d != 2 {
		t.Errorf("refused, 2 denied: stripe_key_refused = %v, stripe_permissions_denied = %v; want 1, 2", r, d)
	}
	m.StripeKey(false, 0)
	if got := value(t, m.Registry(), "recoup_stripe_key_refused"); got != 0 {
		t.Errorf("accepted again: stripe_key_refused = %v, want 0", got)
	}
}

func TestNilMetricsRecordsNothing(t *testing.T) {
	var m *Metrics
	m.WebhookReceived()
	m.WebhookRejected(RejectTooLarge)
	m.WebhookDuplicate()
	m.EventProcessed("invoice.paid", "processed")
	m.AttemptFinished("succeeded")
	m.JobLag("act", time.Second)
	m.StripeError("api")
	m.StripeKey(true, 1)
}

// countFunc adapts a function to CaseCounter.
type countFunc func(ctx context.Context) (map[recoup.CaseState]int, error)

func (f countFunc) CountCases(ctx context.Context) (map[recoup.CaseState]int, error) { return f(ctx) }

func TestCasesByState(t *testing.T) {
	var calls int
	m := New(countFunc(func(ctx context.Context) (map[recoup.CaseState]int, error) {
		calls++
		deadline, ok := ctx.Deadline()
		if !ok {
			t.Error("CountCases called without a deadline")
		} else if left := time.Until(deadline); left > countTimeout {
			t.Errorf("CountCases deadline in %v, want at most %v", left, countTimeout)
		}
		return map[recoup.CaseState]int{recoup.StateScheduled: 4, recoup.StateRecovered: 9}, nil
	}))

	g := m.Registry()
	for _, s := range recoup.CaseStates {
		want := map[recoup.CaseState]float64{recoup.StateScheduled: 4, recoup.StateRecovered: 9}[s]
		if got := value(t, g, "recoup_cases", "state="+string(s)); got != want {
			t.Errorf("cases{state=%s} = %v, want %v", s, got, want)
		}
	}
	if got := value(t, g, "recoup_cases_scrape_error"); got != 0 {
		t.Errorf("cases_scrape_error = %v, want 0", got)
	}
	if calls == 0 {
		t.Error("CountCases never called")
	}
}

func TestCasesScrapeFailure(t *testing.T) {
	m := New(countFunc(func(context.Context) (map[recoup.CaseState]int, error) {
		return nil, recoup.Errorf(recoup.EUNAVAILABLE, "database is down")
	}))
	m.WebhookReceived()

	// The failure shows as a metric; the scrape itself succeeds and serves everything else.
	g := m.Registry()
	if got := value(t, g, "recoup_cases_scrape_error"); got != 1 {
		t.Errorf("cases_scrape_error = %v, want 1", got)
	}
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "recoup_cases" {
			t.Errorf("recoup_cases reported although counting failed: %s", seriesList(mf))
		}
	}
	if got := value(t, g, "recoup_webhooks_received_total"); got != 1 {
		t.Errorf("received = %v, want 1", got)
	}
}

func TestCasesCountTimesOut(t *testing.T) {
	c := newCaseCollector(countFunc(func(ctx context.Context) (map[recoup.CaseState]int, error) {
		<-ctx.Done() // a database that never answers
		return nil, ctx.Err()
	}))
	c.timeout = time.Millisecond // the production bound, shortened so the test does not wait for it
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)

	if got := value(t, reg, "recoup_cases_scrape_error"); got != 1 {
		t.Errorf("cases_scrape_error = %v, want 1", got)
	}
}

func TestHandlerServesPrivateRegistry(t *testing.T) {
	m := New(countFunc(func(context.Context) (map[recoup.CaseState]int, error) {
		return map[recoup.CaseState]int{recoup.StateOpen: 2}, nil
	}))
	m.WebhookRejected(RejectTooLarge)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, body)
	}
	for _, want := range []string{
		`recoup_webhooks_rejected_total{reason="too_large"} 1`,
		`recoup_cases{state="open"} 2`,
		`recoup_cases{state="closed"} 0`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}

	// Nothing leaked onto the global registry.
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "recoup_") {
			t.Errorf("%s is on the global registry", mf.GetName())
		}
	}
}

func TestInstancesAreIndependent(t *testing.T) {
	a, b := New(nil), New(nil)
	a.WebhookReceived()
	if got := value(t, b.Registry(), "recoup_webhooks_received_total"); got != 0 {
		t.Errorf("b counted a's webhook: %v", got)
	}
}
