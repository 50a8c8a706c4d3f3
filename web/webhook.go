package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/recoup-hq/recoup"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/recoup-hq/recoup/metrics"
	"github.com/recoup-hq/recoup/tracing"
)

// ingestTimeout bounds storing an event. Stripe gives up on a delivery after a few seconds and
// redelivers; answering 503 first is better than holding a connection for nothing.
const ingestTimeout = 10 * time.Second

// receipt is the answer to an accepted delivery, new or duplicate alike.
type receipt struct {
	Received bool `json:"received"`
}

// webhook receives a Stripe event: verify the signature over the raw body, store the event and
// enqueue its processing, answer. It never waits for the processing. It logs the event's id
// and type, never the payload, which holds customer data.
//
// Stripe retries any non-2xx answer for days, so the status says whether a retry can help:
// 400 and 413 when the same bytes will fail again, 503 when storage failed and a redelivery
// will succeed.
//
// The request is traced (a "webhook stripe" span, the root of the trace its jobs continue)
// with the event's id and type, never its payload.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) error {
	ctx, span := tracing.Start(r.Context(), "webhook stripe", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", r.URL.Path)))
	defer span.End()
	err := s.intakeWebhook(w, r.WithContext(ctx), span)
	tracing.Fail(span, err)
	return err
}

// intakeWebhook is webhook's work, under its span.
func (s *Server) intakeWebhook(w http.ResponseWriter, r *http.Request, span trace.Span) error {
	s.metrics.WebhookReceived()

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			s.metrics.WebhookRejected(metrics.RejectTooLarge)
			s.logger.WarnContext(r.Context(), "webhook rejected", "reason", metrics.RejectTooLarge, "limit", s.maxBody)
			// The rest of the body is left unread; the connection cannot be reused.
			w.Header().Set("Connection", "close")
			return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large",
				message: fmt.Sprintf("body exceeds %d bytes", s.maxBody)}
		}
		// The client went away or sent a broken body; it will redeliver.
		s.metrics.WebhookRejected(metrics.RejectMalformed)
		return recoup.Errorf(recoup.EINVALID, "could not read the request body")
	}

	ev, err := s.verifier.Verify(body, r.Header.Get("Stripe-Signature"))
	if err == nil && ev.ID == "" {
		err = recoup.Errorf(recoup.EINVALID, "event has no id")
	}
	if err != nil {
		return s.rejectWebhook(r, err)
	}

	span.SetAttributes(attribute.String("stripe.event.id", ev.ID), attribute.String("stripe.event.type", ev.Type),
		attribute.Bool("stripe.event.livemode", ev.Livemode))
	now := s.now()
	ev.Origin = recoup.OriginWebhook
	ev.ReceivedAt = now
	if ev.Payload == nil {
		ev.Payload = body
	}
	ctx, cancel := context.WithTimeout(r.Context(), ingestTimeout)
	defer cancel()
	inserted, err := s.intake.Ingest(ctx, now, &ev)
	if err != nil {
		// Storage is down or slow: 503 makes Stripe redeliver. The cause goes to the log.
		return &recoup.Error{Code: recoup.EUNAVAILABLE, Message: "the event could not be stored; retry later",
			Err: fmt.Errorf("ingest event %s (%s): %w", ev.ID, ev.Type, err)}
	}
	if !inserted {
		s.metrics.WebhookDuplicate()
	}
	span.SetAttributes(attribute.Bool("recoup.event.duplicate", !inserted))
	s.logger.InfoContext(r.Context(), "webhook received",
		"event_id", ev.ID, "type", ev.Type, "livemode", ev.Livemode, "duplicate", !inserted)
	return writeJSON(w, http.StatusOK, receipt{Received: true})
}

// rejectWebhook counts and logs a delivery that failed verification and returns the error to
// answer with. A bad signature answers 400, as Stripe's own libraries do, not 401: the
// endpoint takes no credentials, the payload is what is invalid.
func (s *Server) rejectWebhook(r *http.Request, err error) error {
	var why, message string
	switch recoup.ErrorCode(err) {
	case recoup.EUNAUTHORIZED:
		why, message = metrics.RejectBadSignature, "signature verification failed"
	case recoup.EINVALID:
		why, message = metrics.RejectMalformed, "malformed event"
	default:
		return fmt.Errorf("verify webhook: %w", err) // a fault of ours: 500, and Stripe retries
	}
	s.metrics.WebhookRejected(why)
	// Warn: a stream of these usually means a wrong or rolled endpoint secret.
	s.logger.WarnContext(r.Context(), "webhook rejected", "reason", why, "error", err.Error())
	return &recoup.Error{Code: recoup.EINVALID, Message: message, Err: err}
}

// webhookWrongMethod answers any method but POST on the webhook path.
func (s *Server) webhookWrongMethod(w http.ResponseWriter, r *http.Request) error {
	s.metrics.WebhookReceived()
	s.metrics.WebhookRejected(metrics.RejectMethod)
	w.Header().Set("Allow", http.MethodPost)
	return &httpError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "use POST"}
}
