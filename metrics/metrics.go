// Package metrics exposes recoup's Prometheus metrics on a private registry: webhook intake,
// event processing, charge attempts, job lag, Stripe API errors, whether Stripe refuses the API
// key, and the number of cases in each state. Nothing is registered globally, so any number of
// instances (one per test) coexist.
//
// Every method is safe on a nil *Metrics, which records nothing: callers that run without
// metrics (tools, some tests) need no guard.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/recoup-hq/recoup"
)

const namespace = "recoup"

// other is the label value that stands for any value outside a bounded set.
const other = "other"

// Reasons a webhook delivery is rejected, for WebhookRejected.
const (
	RejectBadSignature = "bad_signature" // missing, wrong or stale Stripe-Signature
	RejectTooLarge     = "too_large"     // body over the size limit
	RejectMalformed    = "malformed"     // signed but not a readable event
	RejectMethod       = "method"        // not a POST
)

var rejectReasons = []string{RejectBadSignature, RejectTooLarge, RejectMalformed, RejectMethod}

// eventResults are the outcomes EventProcessed accepts: the final event statuses.
var eventResults = []string{string(recoup.EventProcessed), string(recoup.EventIgnored), string(recoup.EventFailed)}

// attemptOutcomes are the outcomes AttemptFinished accepts: the final attempt statuses.
var attemptOutcomes = []string{string(recoup.AttemptSucceeded), string(recoup.AttemptDeclined), string(recoup.AttemptError)}

// eventTypes are the Stripe event types a recovery engine cares about (see the Stripe notes).
// Any other type is counted as "other": the label must not grow with whatever an endpoint is
// subscribed to.
var eventTypes = map[string]bool{
	"invoice.payment_failed":               true,
	"invoice.paid":                         true,
	"invoice.payment_succeeded":            true,
	"invoice.payment_action_required":      true,
	"invoice.updated":                      true,
	"invoice_payment.paid":                 true, // a partial payment
	"invoice.marked_uncollectible":         true,
	"invoice.voided":                       true,
	"invoice.upcoming":                     true,
	"invoice.finalized":                    true, // reminders of invoices sent to be paid
	"invoice.overdue":                      true,
	"invoice.will_be_due":                  true,
	"customer.subscription.updated":        true,
	"customer.subscription.deleted":        true,
	"customer.subscription.paused":         true,
	"customer.subscription.resumed":        true,
	"payment_method.attached":              true,
	"payment_method.automatically_updated": true,
	"payment_method.updated":               true,
	"payment_method.detached":              true,
	"customer.updated":                     true,
	"customer.source.expiring":             true,
	"charge.failed":                        true,
	"payment_intent.payment_failed":        true,
}

// lagBuckets spans a job picked up at once (10 ms) to one an hour late, in seconds.
var lagBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// Metrics holds recoup's collectors and the private registry they are registered on.
type Metrics struct {
	reg *prometheus.Registry

	webhooksReceived  prometheus.Counter
	webhooksRejected  *prometheus.CounterVec
	webhooksDuplicate prometheus.Counter
	eventsProcessed   *prometheus.CounterVec
	chargeAttempts    *prometheus.CounterVec
	jobLag            *prometheus.HistogramVec
	stripeErrors      *prometheus.CounterVec
	stripeKeyRefused  prometheus.Gauge
	stripeDenied      prometheus.Gauge
}

// New returns metrics registered on a new private registry, with the Go runtime and process
// collectors. When cases is not nil, every scrape also reports the number of cases per state.
func New(cases CaseCounter) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		webhooksReceived: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhooks_received_total",
			Help: "Requests to the Stripe webhook endpoint, whatever their outcome.",
		}),
		webhooksRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhooks_rejected_total",
			Help: "Webhook deliveries refused before storage, by reason.",
		}, []string{"reason"}),
		webhooksDuplicate: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhooks_duplicate_total",
			Help: "Verified webhook deliveries of an event already stored.",
		}),
		eventsProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_processed_total",
			Help: "Stripe events handled by the engine, by event type and result.",
		}, []string{"type", "result"}),
		chargeAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "charge_attempts_total",
			Help: "Charge attempts recoup made, by outcome.",
		}, []string{"outcome"}),
		jobLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "job_lag_seconds",
			Help:    "Delay between when a job was due and when it started, by job kind.",
			Buckets: lagBuckets,
		}, []string{"kind"}),
		stripeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "stripe_errors_total",
			Help: "Failed Stripe API calls, by kind of error.",
		}, []string{"kind"}),
		stripeKeyRefused: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "stripe_key_refused",
			Help: "1 while Stripe refuses the API key (its latest answer was 401), else 0.",
		}),
		stripeDenied: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "stripe_permissions_denied",
			Help: "Kinds of Stripe request refused (403) for a permission the restricted key lacks, until they succeed.",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.webhooksReceived, m.webhooksRejected, m.webhooksDuplicate,
		m.eventsProcessed, m.chargeAttempts, m.jobLag, m.stripeErrors,
		m.stripeKeyRefused, m.stripeDenied,
	)
	if cases != nil {
		m.reg.MustRegister(newCaseCollector(cases))
	}
	// Series of the bounded sets exist from the start at 0, so rate() and alerts see the
	// first increment instead of a series appearing out of nothing.
	for _, r := range rejectReasons {
		m.webhooksRejected.WithLabelValues(r)
	}
	for _, o := range attemptOutcomes {
		m.chargeAttempts.WithLabelValues(o)
	}
	return m
}

// Registry returns the private registry, for registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format. Should a collector fail,
// the others are still served and promhttp_metric_handler_errors_total counts the failure.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:      m.reg,
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// WebhookReceived counts a request to the webhook endpoint.
func (m *Metrics) WebhookReceived() {
	if m == nil {
		return
	}
	m.webhooksReceived.Inc()
}

// WebhookRejected counts a delivery refused before storage. reason is one of the Reject
// constants; anything else is counted as "other".
func (m *Metrics) WebhookRejected(reason string) {
	if m == nil {
		return
	}
	m.webhooksRejected.WithLabelValues(bounded(reason, rejectReasons)).Inc()
}

// WebhookDuplicate counts a verified delivery of an event already stored.
func (m *Metrics) WebhookDuplicate() {
	if m == nil {
		return
	}
	m.webhooksDuplicate.Inc()
}

// EventProcessed counts an event the engine handled. result is a final recoup.EventStatus
// (processed, ignored, failed); event types outside the known set are counted as "other".
func (m *Metrics) EventProcessed(eventType, result string) {
	if m == nil {
		return
	}
	if !eventTypes[eventType] {
		eventType = other
	}
	m.eventsProcessed.WithLabelValues(eventType, bounded(result, eventResults)).Inc()
}

// AttemptFinished counts a charge attempt by its final recoup.AttemptStatus (succeeded,
// declined, error).
func (m *Metrics) AttemptFinished(outcome string) {
	if m == nil {
		return
	}
	m.chargeAttempts.WithLabelValues(bounded(outcome, attemptOutcomes)).Inc()
}

// JobLag records how late a job of the given kind started. kind must come from a fixed set
// (recoup.JobKind values), never from data. A negative lag (a job run early) counts as 0.
func (m *Metrics) JobLag(kind string, d time.Duration) {
	if m == nil {
		return
	}
	m.jobLag.WithLabelValues(kind).Observe(max(d, 0).Seconds())
}

// StripeError counts a failed Stripe API call. kind must come from a fixed set (the adapter's
// error classes, such as "rate_limit" or "api"), never from a message.
func (m *Metrics) StripeError(kind string) {
	if m == nil {
		return
	}
	m.stripeErrors.WithLabelValues(kind).Inc()
}

// StripeKey records what Stripe's answers say of the API key: whether it is refused, and how
// many kinds of request it lacks a permission for.
func (m *Metrics) StripeKey(refused bool, denied int) {
	if m == nil {
		return
	}
	v := 0.0
	if refused {
		v = 1
	}
	m.stripeKeyRefused.Set(v)
	m.stripeDenied.Set(float64(denied))
}

// bounded returns v if it is in set, "other" otherwise.
func bounded(v string, set []string) string {
	for _, s := range set {
		if v == s {
			return v
		}
	}
	return other
}
